/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PAM-side helpers: errno to PAM conversion and the module's logger, which
 * only ever sends non-blocking datagrams (never syslog()/pam_syslog()).
 */
#pragma once

#include <security/pam_modules.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

int errno_to_pam(int r);
void pam_log_setup(const char *devlog_path, bool debug, bool quiet);
void pam_log(pam_handle_t *pamh, int priority, const char *fmt, ...) _printf_(3, 4);
uint64_t pam_log_dropped(void);
