/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The module's logger. Messages go to /dev/log as one non-blocking datagram
 * each, prefixed like pam_syslog() ("pam_loginguard(sshd:session): ..."),
 * so they read the same in the journal. When guardd reports the /dev/log
 * reader full or stuck the logger stays silent and only counts.
 */
#include "pam-util.h"

#include <errno.h>
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
static uint64_t log_suppressed;
static NbLog log_sender = {
        .path = log_path,
        .ident = "pam_loginguard",
        .facility = LOG_AUTHPRIV,
};

/**
 * errno_to_pam() - the one conversion from -errno to a PAM code.
 * @r: negative errno
 *
 * Return: PAM_BUF_ERR for -ENOMEM, PAM_SESSION_ERR otherwise.
 */
int errno_to_pam(int r) {
        return r == -ENOMEM ? PAM_BUF_ERR : PAM_SESSION_ERR;
}

/**
 * pam_log_setup() - configure the logger for the current call.
 * @devlog_path: socket to send to
 * @debug: whether LOG_DEBUG messages are sent
 * @quiet: guardd says the reader is full or stuck: count, do not send
 */
void pam_log_setup(const char *devlog_path, bool debug, bool quiet) {
        (void) pthread_mutex_lock(&log_lock);
        (void) snprintf(log_path, sizeof(log_path), "%s", devlog_path);
        log_debug = debug;
        log_quiet = quiet;
        (void) pthread_mutex_unlock(&log_lock);
}

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
        char prefix[80], msg[768];
        va_list ap;

        if (priority == LOG_DEBUG && !log_debug)
                return;
        prefix_for(pamh, prefix, sizeof(prefix));
        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        (void) pthread_mutex_lock(&log_lock);
        if (log_quiet)
                log_suppressed++;
        else
                (void) nblog_send(&log_sender, priority, "%s %s", prefix, msg);
        (void) pthread_mutex_unlock(&log_lock);
}

/**
 * pam_log_dropped() - messages not sent because they would have blocked or
 * because the reader was known to be stuck.
 *
 * Return: the count for this process.
 */
uint64_t pam_log_dropped(void) {
        uint64_t n;

        (void) pthread_mutex_lock(&log_lock);
        n = log_sender.dropped + log_suppressed;
        (void) pthread_mutex_unlock(&log_lock);
        return n;
}
