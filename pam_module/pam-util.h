/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The module's logger. It only ever sends non-blocking datagrams (never
 * syslog()/pam_syslog(), which block when the /dev/log reader is stuck),
 * but in pam_syslog()'s shape, so admins find the lines where they look:
 *   sshd[812]: pam_loginguard(sshd:session): ...
 * Its state lives in the call (PamLog), not in globals: the module may run
 * in several threads of one program at once.
 */
#pragma once

#include <security/pam_modules.h>
#include <stdbool.h>

#include "macro.h"

typedef struct PamLog {
        pam_handle_t *pamh;
        const char *type; /* "session", "auth", "account", "password" */
        const char *path; /* the /dev/log socket */
        bool debug; /* send LOG_DEBUG messages */
        bool quiet; /* guardd says the /dev/log reader is stuck: send nothing */
} PamLog;

void pam_log_init(PamLog *l, pam_handle_t *pamh, const char *type);
void pam_log(const PamLog *l, int priority, const char *fmt, ...) _printf_(3, 4);
