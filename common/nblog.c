/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Non-blocking syslog datagrams. A socket per message costs a few
 * microseconds and means no descriptor is left open inside the program
 * that loaded us.
 */
#include "nblog.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define NBLOG_MAX 1024

static int format_message(const NbLog *l, int priority, char *buf, size_t size, const char *fmt,
                          va_list ap) {
        int n, m;

        /* No timestamp: the reader adds its own, and formatting local time
         * would read /etc/localtime on the login path. */
        n = snprintf(buf, size, "<%d>%s[%ld]: ", l->facility | priority, l->ident, (long) getpid());
        if (n < 0 || (size_t) n >= size)
                return -EINVAL;
        m = vsnprintf(buf + n, size - (size_t) n, fmt, ap);
        if (m < 0)
                return -EINVAL;
        return (size_t) n + (size_t) m >= size ? (int) size - 1 : n + m;
}

/**
 * nblog_sendv() - send one message without ever blocking.
 * @l: sender and its counters
 * @priority: LOG_ERR, ...
 * @fmt: format
 * @ap: arguments
 *
 * Return: 0 when sent; -EAGAIN when dropped because the queue is full
 * (counted in @l->dropped); other -errno when it could not be sent
 * (counted in @l->failed).
 */
int nblog_sendv(NbLog *l, int priority, const char *fmt, va_list ap) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char buf[NBLOG_MAX];
        ssize_t sent;
        int fd, n;

        if (strlen(l->path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, l->path, strlen(l->path) + 1);
        n = format_message(l, priority, buf, sizeof(buf), fmt, ap);
        if (n < 0)
                return n;

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
                l->failed++;
                return -errno;
        }
        sent = sendto(fd, buf, (size_t) n, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *) &sa,
                      sizeof(sa));
        n = sent < 0 ? -errno : 0;
        (void) close(fd);
        if (n == -EAGAIN || n == -EWOULDBLOCK) {
                l->dropped++;
                return -EAGAIN;
        }
        if (n < 0) {
                l->failed++;
                return n;
        }
        l->sent++;
        return 0;
}

/**
 * nblog_send() - nblog_sendv() with variable arguments.
 * @l: sender
 * @priority: LOG_ERR, ...
 * @fmt: format
 *
 * Return: as nblog_sendv().
 */
int nblog_send(NbLog *l, int priority, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = nblog_sendv(l, priority, fmt, ap);
        va_end(ap);
        return r;
}
