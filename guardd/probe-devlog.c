/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The /dev/log probe. The socket is re-resolved when the path's inode
 * changes (the reader restarted and bound a new socket).
 */
#include "probe-devlog.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "io-util.h"
#include "macro.h"

void devlog_probe_init(DevlogProbe *p, const char *path) {
        *p = (DevlogProbe){ .fd = -EBADF, .state = DEVLOG_ABSENT };
        (void) snprintf(p->path, sizeof(p->path), "%s", path);
}

void devlog_probe_done(DevlogProbe *p) {
        if (p->fd >= 0)
                (void) close(p->fd);
        p->fd = -EBADF;
}

static int connect_probe(DevlogProbe *p, const struct stat *st) {
        int fd = dgram_connect(p->path);

        if (fd < 0)
                return fd;
        devlog_probe_done(p);
        p->fd = fd;
        p->dev = st->st_dev;
        p->ino = st->st_ino;
        return 0;
}

/**
 * devlog_probe_run() - one round: ok, full, stuck (full for @stuck_usec) or absent.
 * @p: probe
 * @now: CLOCK_MONOTONIC usec
 * @stuck_usec: how long full counts as stuck
 *
 * Return: the new state (also in @p->state).
 */
DevlogState devlog_probe_run(DevlogProbe *p, uint64_t now, uint64_t stuck_usec) {
        struct pollfd pfd;
        struct stat st;

        if (stat(p->path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
                devlog_probe_done(p);
                p->full_since_usec = 0;
                return p->state = DEVLOG_ABSENT;
        }
        if ((p->fd < 0 || st.st_dev != p->dev || st.st_ino != p->ino) &&
            connect_probe(p, &st) < 0) {
                /* ECONNREFUSED: a socket file with nobody bound to it. */
                p->full_since_usec = 0;
                return p->state = DEVLOG_ABSENT;
        }
        pfd = (struct pollfd){ .fd = p->fd, .events = POLLOUT };
        if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT)) {
                p->full_since_usec = 0;
                return p->state = DEVLOG_OK;
        }
        if (pfd.revents & (POLLERR | POLLHUP)) {
                /* The reader closed its socket: reconnect next round. */
                devlog_probe_done(p);
                return p->state = DEVLOG_ABSENT;
        }
        if (p->full_since_usec == 0)
                p->full_since_usec = now;
        return p->state = now - p->full_since_usec >= stuck_usec ? DEVLOG_STUCK : DEVLOG_FULL;
}
