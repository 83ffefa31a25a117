/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guardd's own lateness, from the kernel's scheduler statistics. A probe's
 * answer that came while guardd was on a CPU with its own work, or waiting
 * for one, sat unread: that wait is guardd's, not the peer's, and must
 * never become a verdict about logind, the bus or PID 1 (issue 24).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

uint64_t own_lost_usec(void);
uint64_t own_attended_usec(uint64_t started, uint64_t lost_at_start, uint64_t lost_now,
                           uint64_t now);
bool own_deadline_passed(uint64_t started, uint64_t lost_at_start, uint64_t lost_now, uint64_t now,
                         uint64_t timeout);
