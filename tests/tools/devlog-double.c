/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A /dev/log reader for tests: binds a datagram socket at --path and
 * appends every message it reads, one per line, to --record. Tests stop
 * it with SIGSTOP to make its queue fill, exactly like the stuck syslog
 * reader of incident 5.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"

int main(int argc, char **argv) {
        static const struct option opts[] = {
                { "path", required_argument, NULL, 'p' },
                { "record", required_argument, NULL, 'r' },
                { "ready", required_argument, NULL, 'R' },
                {},
        };
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *path = NULL, *record = "/dev/null", *ready = NULL;
        _cleanup_fclose_ FILE *out = NULL;
        char buf[8192];
        int c, fd;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
                switch (c) {
                case 'p': path = optarg; break;
                case 'r': record = optarg; break;
                case 'R': ready = optarg; break;
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
                ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return 1;
                }
                buf[n] = '\0';
                /* One message a line: embedded newlines would split it. */
                for (ssize_t i = 0; i < n; i++)
                        if (buf[i] == '\n')
                                buf[i] = ' ';
                fprintf(out, "%s\n", buf);
                fflush(out);
        }
}
