/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a login's check "do I share guardd's pid namespace?" costs in a new
 * process, by the two ways it has been made: stat() of /proc/self/ns/pid
 * (compared with the namespace's inode guardd wrote), and F_GETLK on the
 * watch table's file, whose lock guardd holds (common/watch-file.c).
 *   pidns-cost stat|lock FILE
 * prints the nanoseconds of the first call and of the same call again.
 * Meant to be exec'd once per measurement (bench/pidns-cost.sh): the first
 * call is what a login pays. /proc/self/status is read first, as libpam's
 * and the driver's own start do, so procfs has this process's entries.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
        struct timespec t;

        (void) clock_gettime(CLOCK_MONOTONIC, &t);
        return (long long) t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int check(const char *how, int fd) {
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
        struct stat st;

        if (strcmp(how, "stat") == 0)
                return stat("/proc/self/ns/pid", &st);
        if (fcntl(fd, F_GETLK, &fl) < 0)
                return -1;
        return fl.l_type == F_UNLCK ? -1 : 0; /* the holder must be there */
}

int main(int argc, char **argv) {
        char buf[4096];
        long long t0, t1, t2;
        struct stat st;
        int fd, p;

        if (argc != 3 || (strcmp(argv[1], "stat") != 0 && strcmp(argv[1], "lock") != 0)) {
                fprintf(stderr, "usage: pidns-cost stat|lock FILE\n");
                return 2;
        }
        p = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        if (p >= 0) {
                (void) !read(p, buf, sizeof(buf));
                (void) close(p);
        }
        fd = open(argv[2], O_RDWR | O_CLOEXEC);
        /* The wrappers' libc pages, so that neither way pays for them. */
        if (fd < 0 || fstat(fd, &st) < 0 || fcntl(fd, F_GETFD) < 0)
                return 1;
        (void) now_ns();
        t0 = now_ns();
        if (check(argv[1], fd) < 0)
                return 1;
        t1 = now_ns();
        if (check(argv[1], fd) < 0)
                return 1;
        t2 = now_ns();
        printf("%lld %lld\n", t1 - t0, t2 - t1);
        return 0;
}
