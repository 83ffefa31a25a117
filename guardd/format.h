/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Numbers for people: "14 s", "12.0 MiB", "19,763". */
#pragma once

#include <stddef.h>
#include <stdint.h>

void format_duration(uint64_t usec, char *buf, size_t size);
void format_count(uint64_t n, char *buf, size_t size);
void format_bytes(uint64_t n, char *buf, size_t size);
