/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A connect() to a listening socket whose owner does not accept succeeds
 * (the backlog takes it) or fails with EAGAIN (backlog full); either way
 * nothing here waits: the deadline, not the peer, ends a call.
 */
#include "probe-varlink.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "io-util.h"
#include "macro.h"
#include "own-time.h"

void varlink_ping_init(VarlinkPing *p, sd_event *event, const char *path, const char *request,
                       uint64_t timeout_usec) {
        *p = (VarlinkPing){ .fd = -EBADF, .event = event, .request = request,
                            .timeout_usec = timeout_usec };
        (void) snprintf(p->path, sizeof(p->path), "%s", path);
}

static void close_call(VarlinkPing *p) {
        p->io = sd_event_source_disable_unref(p->io);
        if (p->fd >= 0)
                (void) close(p->fd);
        p->fd = -EBADF;
}

void varlink_ping_done(VarlinkPing *p) {
        assert(p);

        close_call(p);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        VarlinkPing *p = userdata;
        size_t len = strlen(p->request) + 1;
        char buf[4096];
        ssize_t n;

        if ((revents & EPOLLOUT) && p->sent < len) {
                n = send(fd, p->request + p->sent, len - p->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n > 0)
                        p->sent += (size_t) n;
                if (p->sent == len)
                        (void) sd_event_source_set_io_events(s, EPOLLIN);
        }
        if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                return 0;
        /* Read until the reply's NUL; any reply (or a hang-up) is an answer. */
        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0 || memchr(buf, '\0', (size_t) n) || (revents & (EPOLLHUP | EPOLLERR))) {
                p->answered = n > 0;
                p->answered_usec = now_usec(CLOCK_MONOTONIC);
                close_call(p);
        }
        return 0;
}

static int connect_socket(const VarlinkPing *p) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;

        memcpy(sa.sun_path, p->path, strlen(p->path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 && errno != EINPROGRESS &&
            errno != EAGAIN)
                return -errno;
        return TAKE_FD(fd);
}

/**
 * varlink_ping_start() - send this round's call, unless one is still
 * under way within its deadline.
 * @p: probe
 * @now: CLOCK_MONOTONIC usec
 */
void varlink_ping_start(VarlinkPing *p, uint64_t now) {
        _cleanup_close_ int fd = -EBADF;

        assert(p);
        if (p->fd >= 0 && now < p->started_usec + p->timeout_usec)
                return;
        close_call(p);
        p->answered = false;
        p->sent = 0;
        fd = connect_socket(p);
        if (fd < 0) {
                /* Nothing listens: no PID 1 userdb here (no systemd, or too old). */
                p->state = PING_UNKNOWN;
                return;
        }
        if (sd_event_add_io(p->event, &p->io, fd, EPOLLOUT | EPOLLIN, on_io, p) < 0)
                return;
        p->fd = TAKE_FD(fd);
        p->started_usec = now;
        p->lost_at_start = own_lost_usec();
}

/**
 * varlink_ping_finish() - judge the round: answered, or past its deadline.
 * @p: probe
 * @now: CLOCK_MONOTONIC usec
 */
void varlink_ping_finish(VarlinkPing *p, uint64_t now) {
        assert(p);

        if (p->answered) {
                p->state = PING_OK;
                p->rtt_usec = p->answered_usec - p->started_usec;
                p->unanswered_since_usec = 0;
                p->answered = false;
                return;
        }
        /* Past the deadline while guardd was late itself (own-time.h): no
         * verdict; the next round sends it again. */
        if (p->fd < 0 || now < p->started_usec + p->timeout_usec)
                return;
        if (!own_deadline_passed(p->started_usec, p->lost_at_start, own_lost_usec(), now,
                                 p->timeout_usec)) {
                p->late_calls++;
                close_call(p);
                return;
        }
        if (p->state != PING_STUCK)
                p->unanswered_since_usec = p->started_usec;
        p->state = PING_STUCK;
}

/**
 * varlink_ping_idle() - nothing under way within its deadline.
 * @p: probe
 * @now: CLOCK_MONOTONIC usec
 *
 * Return: true when `guardd --once` need not wait for it.
 */
bool varlink_ping_idle(const VarlinkPing *p, uint64_t now) {
        assert(p);

        return p->fd < 0 || now >= p->started_usec + p->timeout_usec;
}
