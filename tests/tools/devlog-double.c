/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A /dev/log reader for tests: binds a datagram socket at --path and
 * appends every message it reads, one per line, to --record. Tests stop
 * it with SIGSTOP to make its queue fill, exactly like the stuck syslog
 * reader of incident 5, or make it stall asleep (state S) while
 * --stall-file exists. With --credentials it records each message's
 * sender as journald does (SO_PASSCRED): "uid=U pid=P message".
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"

/* Asleep while STALL exists: blocked in read() on an inotify watch of it,
 * so the reader never wakes until the file goes. A 20 ms poll was caught
 * runnable (state R) on a loaded machine, which is not the stall the
 * tests mean: a reader blocked elsewhere, state S. */
static void stall_wait(const char *stall) {
        char ev[sizeof(struct inotify_event) + NAME_MAX + 1];
        _cleanup_close_ int ifd = -1;

        if (access(stall, F_OK) != 0)
                return;
        ifd = inotify_init1(IN_CLOEXEC);
        if (ifd < 0) {
                while (access(stall, F_OK) == 0)
                        (void) usleep(20000);
                return;
        }
        /* Removing the file changes its link count (IN_ATTRIB); the
         * watch is added again each time, and fails once it is gone. */
        while (inotify_add_watch(ifd, stall, IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF) >= 0)
                if (read(ifd, ev, sizeof(ev)) < 0 && errno != EINTR)
                        break;
        /* A stall ends only when the file is gone: were inotify to fail
         * (never seen), poll for it rather than read early. */
        while (access(stall, F_OK) == 0)
                (void) usleep(20000);
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                { "path", required_argument, NULL, 'p' },
                { "record", required_argument, NULL, 'r' },
                { "ready", required_argument, NULL, 'R' },
                { "stall-file", required_argument, NULL, 's' },
                { "credentials", no_argument, NULL, 'c' },
                {},
        };
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *path = NULL, *record = "/dev/null", *ready = NULL, *stall = NULL;
        _cleanup_fclose_ FILE *out = NULL;
        bool creds = false;
        char buf[8192];
        int c, fd, one = 1;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
                switch (c) {
                case 'p': path = optarg; break;
                case 'r': record = optarg; break;
                case 'R': ready = optarg; break;
                case 's': stall = optarg; break;
                case 'c': creds = true; break;
                default: return 2;
                }
        if (!path || strlen(path) >= sizeof(sa.sun_path)) {
                fprintf(stderr,
                        "usage: devlog-double --path SOCKET [--record FILE] [--ready FILE]\n");
                return 2;
        }
        memcpy(sa.sun_path, path, strlen(path) + 1);
        (void) unlink(path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        /* Like journald's socket: timestamps too, which come before the
         * credentials in the ancillary data. */
        if (fd >= 0 && creds) {
                (void) setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
                (void) setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &one, sizeof(one));
        }
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                fprintf(stderr, "devlog-double: bind %s: %m\n", path);
                return 1;
        }
        out = fopen(record, "ae");
        if (!out)
                return 1;
        if (ready) {
                FILE *f = fopen(ready, "we");
                if (f) {
                        fprintf(f, "%ld\n", (long) getpid());
                        fclose(f);
                }
        }
        for (;;) {
                char control[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(64)];
                struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                                     .msg_controllen = sizeof(control) };
                struct ucred u = { .pid = 0, .uid = (uid_t) -1 };
                ssize_t n;

                /* Stalled, asleep but not stopped: a reader blocked elsewhere. */
                if (stall)
                        stall_wait(stall);
                n = recvmsg(fd, &mh, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return 1;
                }
                buf[n] = '\0';
                for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
                        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS)
                                memcpy(&u, CMSG_DATA(cm), sizeof(u));
                if (creds)
                        fprintf(out, "uid=%d pid=%d ", (int) u.uid, (int) u.pid);
                /* One message a line: embedded newlines would split it. */
                for (ssize_t i = 0; i < n; i++)
                        if (buf[i] == '\n')
                                buf[i] = ' ';
                fprintf(out, "%s\n", buf);
                fflush(out);
        }
}
