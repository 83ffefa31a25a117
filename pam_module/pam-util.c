/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The module's logger. Messages go to /dev/log as one non-blocking datagram
 * each, prefixed like pam_syslog() ("pam_loginguard(sshd:session): ..."),
 * so they read the same in the journal. When guardd reports the /dev/log
 * reader full or stuck the logger stays silent; a message that would
 * block is dropped (nblog counts it).
 */
#include "pam-util.h"

#include <pthread.h>
#include <security/pam_ext.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "nblog.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_path[512] = "/dev/log";
static bool log_debug;
static bool log_quiet;
static NbLog log_sender = {
        .path = log_path,
        .ident = "pam_loginguard",
        .facility = LOG_AUTHPRIV,
};

/**
 * pam_log_setup() - where to log for the current call.
 * @devlog_path: socket to send to
 * @debug: whether LOG_DEBUG messages are sent
 */
void pam_log_setup(const char *devlog_path, bool debug) {
        (void) pthread_mutex_lock(&log_lock);
        (void) snprintf(log_path, sizeof(log_path), "%s", devlog_path);
        log_debug = debug;
        (void) pthread_mutex_unlock(&log_lock);
}

/**
 * pam_log_set_quiet() - follow guardd's word on /dev/log.
 * @quiet: guardd says the reader is full or stuck: send nothing
 */
void pam_log_set_quiet(bool quiet) {
        (void) pthread_mutex_lock(&log_lock);
        log_quiet = quiet;
        (void) pthread_mutex_unlock(&log_lock);
}

static void send_locked(pam_handle_t *pamh, int priority, const char *msg);

static void prefix_for(pam_handle_t *pamh, char *buf, size_t size) {
        const void *service = NULL;

        if (!pamh || pam_get_item(pamh, PAM_SERVICE, &service) != PAM_SUCCESS || !service)
                service = "?";
        (void) snprintf(buf, size, "(%s)", (const char *) service);
}

/**
 * pam_log() - log one message without blocking.
 * @pamh: handle, for the service name in the prefix (may be NULL)
 * @priority: LOG_ERR, ...
 * @fmt: format
 */
void pam_log(pam_handle_t *pamh, int priority, const char *fmt, ...) {
        char msg[768];
        va_list ap;

        if (priority == LOG_DEBUG && !log_debug)
                return;
        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        (void) pthread_mutex_lock(&log_lock);
        if (!log_quiet)
                send_locked(pamh, priority, msg);
        (void) pthread_mutex_unlock(&log_lock);
}

/* Called with log_lock held. */
static void send_locked(pam_handle_t *pamh, int priority, const char *msg) {
        char prefix[80];

        prefix_for(pamh, prefix, sizeof(prefix));
        (void) nblog_send(&log_sender, priority, "%s %s", prefix, msg);
}
