/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The module's logger, which only ever sends non-blocking datagrams (never
 * syslog()/pam_syslog()). The module has no errno-to-PAM conversion: every
 * failure of its own fails open (PAM_IGNORE).
 */
#pragma once

#include <security/pam_modules.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

void pam_log_setup(const char *devlog_path, bool debug);
void pam_log_set_quiet(bool quiet);
void pam_log(pam_handle_t *pamh, int priority, const char *fmt, ...) _printf_(3, 4);
