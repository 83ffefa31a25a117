/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The module's logger: one non-blocking datagram per message to /dev/log
 * (common/nblog.c), dropped when the reader's queue is full. The program's
 * name is the syslog identifier and the message starts with
 * "pam_loginguard(SERVICE:TYPE): ", exactly as pam_syslog() writes it.
 */
#include "pam-util.h"

#include <errno.h>
#include <security/pam_ext.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "nblog.h"

/**
 * pam_log_init() - a logger for one call.
 * @l: logger
 * @pamh: handle, for the service name
 * @type: the management group ("session", "auth", ...)
 */
void pam_log_init(PamLog *l, pam_handle_t *pamh, const char *type) {
        *l = (PamLog){ .pamh = pamh, .type = type, .path = "/dev/log" };
}

static const char *service_of(pam_handle_t *pamh) {
        const void *service = NULL;

        if (!pamh || pam_get_item(pamh, PAM_SERVICE, &service) != PAM_SUCCESS || !service)
                return "?";
        return service;
}

/**
 * pam_log() - log one message without ever blocking.
 * @l: logger
 * @priority: LOG_ERR, ...
 * @fmt: format
 */
void pam_log(const PamLog *l, int priority, const char *fmt, ...) {
        NbLog sender = {
                .path = l->path,
                .ident = program_invocation_short_name,
                .facility = LOG_AUTHPRIV,
        };
        char msg[768];
        va_list ap;

        if (l->quiet || (priority == LOG_DEBUG && !l->debug))
                return;
        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        (void) nblog_send(&sender, priority, "pam_loginguard(%s:%s): %s", service_of(l->pamh),
                          l->type, msg);
}
