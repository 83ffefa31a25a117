/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The notify socket named by $NOTIFY_SOCKET: a path, or "@name" for an
 * abstract one. PID 1 learns the sender from the credentials the kernel
 * attaches (its socket has SO_PASSCRED), as with sd_notify().
 */
#include "notify.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"

void notifier_init(Notifier *n) {
        const char *e = getenv("NOTIFY_SOCKET");
        size_t len;

        assert(n);
        *n = (Notifier){ .fd = -EBADF };
        if (!e || (e[0] != '/' && e[0] != '@'))
                return; /* none, or a vsock address: no notifications */
        len = strlen(e);
        if (len >= sizeof(n->sa.sun_path))
                return;
        n->sa.sun_family = AF_UNIX;
        memcpy(n->sa.sun_path, e, len);
        if (e[0] == '@')
                n->sa.sun_path[0] = '\0';
        n->sa_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len + (e[0] == '/'));
        n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

void notifier_done(Notifier *n) {
        assert(n);

        if (n->fd >= 0)
                (void) close(n->fd);
        n->fd = -EBADF;
}

/**
 * notifier_send() - send one notification without ever blocking.
 * @n: notifier
 * @message: "READY=1\nSTATUS=..." and the like
 *
 * Return: 0 when sent or when there is nobody to notify; -EAGAIN when
 * dropped because PID 1's queue is full; other -errno.
 */
int notifier_send(Notifier *n, const char *message) {
        ssize_t r;

        assert(n);
        if (n->fd < 0)
                return 0;
        r = sendto(n->fd, message, strlen(message), MSG_DONTWAIT | MSG_NOSIGNAL,
                   (const struct sockaddr *) &n->sa, n->sa_len);
        if (r >= 0) {
                n->sent++;
                return 0;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
                n->dropped++;
                return -EAGAIN;
        }
        n->failed++;
        return -errno;
}
