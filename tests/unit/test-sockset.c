/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sockets the watchdog may cut: the table taken before the call (exact
 * for a small fd table, fd numbers for a large one), the peer filter, and
 * a cut of the new connection only, in both kinds of table. A large table
 * is taken with F_DUPFD and close: the program's POSIX locks survive it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockset.h"

/* Enough descriptors for a large table (more than half a getdents64() buffer). */
#define LARGE_PAIRS 600

static int count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        int n = 0;

        assert_non_null(d);
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

static ino_t ino_of(int fd) {
        struct stat st;

        assert_int_equal(fstat(fd, &st), 0);
        return st.st_ino;
}

static void open_pairs(int *fds, unsigned n) {
        struct rlimit rl = { 4096, 4096 };

        (void) setrlimit(RLIMIT_NOFILE, &rl);
        for (unsigned i = 0; i < n; i++)
                assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds + 2 * i),
                                 0);
}

static void close_all(int *fds, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                if (fds[i] >= 0)
                        (void) close(fds[i]);
}

static void test_small_table_is_exact(void **state) {
        SockTable t = {};
        int sv[2], later;

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(socktable_snapshot(&t), 0);
        assert_null(t.open);
        assert_true(socktable_contains(&t, sv[0], ino_of(sv[0])));
        assert_true(socktable_contains(&t, sv[1], ino_of(sv[1])));
        /* Same number, another socket: not the one in the table. */
        assert_false(socktable_contains(&t, sv[0], ino_of(sv[0]) + 1));
        later = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(later >= 0);
        assert_false(socktable_contains(&t, later, ino_of(later)));
        socktable_done(&t);
        close(later);
        close(sv[0]);
        close(sv[1]);
}

/* A descriptor limit lowered below a socket the program already had: the
 * snapshot does not look above the limit, and such a socket counts as the
 * program's (never cut), as does any number up there. A limit over what one
 * poll() covers goes by /proc and looks at everything. */
static void test_limit_bounds_the_table(void **state) {
        struct rlimit saved, low;
        SockTable t = {};
        int first, high, below;

        assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
        first = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(first >= 0);
        high = fcntl(first, F_DUPFD_CLOEXEC, 200);
        assert_true(high >= 200);
        close(first);
        below = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(below >= 0 && below < 100);
        low = (struct rlimit){ .rlim_cur = 100, .rlim_max = saved.rlim_max };
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
        assert_int_equal(socktable_snapshot(&t), 0);
        assert_int_equal(t.limit, 100);
        assert_true(socktable_contains(&t, below, ino_of(below)));
        assert_false(socktable_contains(&t, below, ino_of(below) + 1));
        assert_true(socktable_contains(&t, high, ino_of(high)));
        socktable_done(&t);
        if (saved.rlim_max >= 4096 || saved.rlim_max == RLIM_INFINITY) {
                struct rlimit big = { .rlim_cur = 4096, .rlim_max = saved.rlim_max };

                assert_int_equal(setrlimit(RLIMIT_NOFILE, &big), 0);
                assert_int_equal(socktable_snapshot(&t), 0);
                assert_int_equal(t.limit, 0);
                assert_true(socktable_contains(&t, high, ino_of(high)));
                assert_false(socktable_contains(&t, high, ino_of(high) + 1));
                socktable_done(&t);
        }
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
        close(high);
        close(below);
}

/* Sockets at the edges of the chunks poll() takes (128 numbers each) and
 * at the last number below the limit are all seen; so is the table exactly
 * as large as a small one may be, and one more makes it large. */
static void test_poll_chunk_edges(void **state) {
        static const int at[] = { 127, 128, 255, 256, 1023 };
        struct rlimit saved, lim;
        int first, fds[5], extra[160];
        SockTable t = {};
        unsigned open_now = 0;

        assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
        lim = (struct rlimit){ .rlim_cur = 1024, .rlim_max = saved.rlim_max };
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
        first = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(first >= 0);
        for (unsigned i = 0; i < 5; i++) {
                fds[i] = fcntl(first, F_DUPFD_CLOEXEC, at[i]);
                assert_int_equal(fds[i], at[i]);
        }
        close(first);
        assert_int_equal(socktable_snapshot(&t), 0);
        assert_null(t.open);
        assert_int_equal(t.limit, 1024);
        for (unsigned i = 0; i < 5; i++)
                assert_true(socktable_contains(&t, fds[i], ino_of(fds[i])));
        socktable_done(&t);
        /* Fill up to exactly 160 open descriptors, then one more. */
        for (int fd = 0; fd < 1024; fd++)
                open_now += fcntl(fd, F_GETFD) >= 0;
        assert_true(open_now < 160);
        for (unsigned i = 0; i < 160; i++)
                extra[i] = -1;
        for (unsigned i = 0; open_now < 160; i++, open_now++) {
                extra[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                assert_true(extra[i] >= 0);
        }
        assert_int_equal(socktable_snapshot(&t), 0);
        assert_null(t.open);
        socktable_done(&t);
        first = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(first >= 0);
        assert_int_equal(socktable_snapshot(&t), 0);
        assert_non_null(t.open);
        assert_true(socktable_contains(&t, fds[4], ino_of(fds[4])));
        socktable_done(&t);
        close(first);
        close_all(extra, 160);
        close_all(fds, 5);
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
}

/* Under a limit one poll() covers, a table past a few hundred descriptors
 * is still kept by number. */
static void test_large_table_under_poll_limit(void **state) {
        enum { PAIRS = 150 };
        struct rlimit saved, lim;
        int fds[2 * PAIRS];
        SockTable t = {};

        open_pairs(fds, PAIRS); /* it sets a limit of 4096 */
        assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
        lim = (struct rlimit){ .rlim_cur = 1024, .rlim_max = saved.rlim_max };
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
        assert_int_equal(socktable_snapshot(&t), 0);
        assert_non_null(t.open);
        for (unsigned i = 0; i < 2 * PAIRS; i++)
                assert_true(socktable_contains(&t, fds[i], ino_of(fds[i])));
        socktable_done(&t);
        close_all(fds, 2 * PAIRS);
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
}

static void test_large_table_is_fd_numbers(void **state) {
        int fds[2 * LARGE_PAIRS], before, later;
        SockTable t = {};

        open_pairs(fds, LARGE_PAIRS);
        /* Holes in the table: they are free, not the program's. */
        close(fds[10]);
        close(fds[500]);
        before = count_fds();
        assert_int_equal(socktable_snapshot(&t), 0);
        assert_non_null(t.open);
        assert_int_equal(count_fds(), before); /* nothing of ours left open */
        for (unsigned i = 0; i < 2 * LARGE_PAIRS; i++)
                if (i != 10 && i != 500)
                        assert_true(socktable_contains(&t, fds[i], ino_of(fds[i])));
        assert_false(socktable_contains(&t, fds[10], 0));
        assert_false(socktable_contains(&t, fds[500], 0));
        assert_false(socktable_contains(&t, t.top + 1, 0));
        assert_false(socktable_contains(&t, -1, 0));
        /* A socket opened after the snapshot takes the lowest hole. */
        later = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_int_equal(later, fds[10]);
        assert_false(socktable_contains(&t, later, ino_of(later)));
        socktable_done(&t);
        fds[10] = later;
        fds[500] = -1;
        close_all(fds, 2 * LARGE_PAIRS);
}

/* Whether another process sees a write lock on @fd's file. */
static bool locked_elsewhere(int fd) {
        pid_t pid = fork();
        int status = 0;

        assert_true(pid >= 0);
        if (pid == 0) {
                struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

                _exit(fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int fd_table_capacity(void) {
        char line[256];
        FILE *f = fopen("/proc/self/status", "re");
        int n = -1;

        assert_non_null(f);
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "FDSize: %d", &n) == 1)
                        break;
        fclose(f);
        return n;
}

/* A table full to its last slot: the snapshot's own descriptor grows it,
 * and the bitmap must still cover that descriptor (ASan would catch a
 * write past it). */
static void test_large_table_full_to_capacity(void **state) {
        int fds[2 * LARGE_PAIRS], size, last;
        SockTable t = {};

        open_pairs(fds, LARGE_PAIRS);
        size = fd_table_capacity();
        assert_true(size > 0);
        last = fds[2 * LARGE_PAIRS - 1];
        while (last < size - 1) {
                int fd = dup(0);

                if (fd < 0)
                        break;
                last = fd;
        }
        if (last < size - 1) {
                /* A descriptor limit below the table's capacity (valgrind
                 * keeps the top for itself): it cannot be filled here. */
                for (int fd = fds[2 * LARGE_PAIRS - 1] + 1; fd <= last; fd++)
                        (void) close(fd);
                close_all(fds, 2 * LARGE_PAIRS);
                skip();
        }
        assert_int_equal(fcntl(size, F_GETFD), -1); /* the table is full */
        assert_int_equal(socktable_snapshot(&t), 0);
        assert_non_null(t.open);
        assert_true(socktable_contains(&t, last, 0));
        assert_true(socktable_contains(&t, fds[0], 0));
        assert_false(socktable_contains(&t, size, 0)); /* the snapshot's own, closed again */
        socktable_done(&t);
        for (int fd = fds[2 * LARGE_PAIRS - 1] + 1; fd <= last; fd++)
                (void) close(fd);
        close_all(fds, 2 * LARGE_PAIRS);
}

static void test_large_table_keeps_posix_locks(void **state) {
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
        char path[] = "/tmp/test-sockset.XXXXXX";
        int fds[2 * LARGE_PAIRS], file;
        SockTable t = {};

        open_pairs(fds, LARGE_PAIRS);
        file = mkostemp(path, O_CLOEXEC);
        assert_true(file >= 0);
        (void) unlink(path);
        assert_int_equal(fcntl(file, F_SETLK, &fl), 0);
        assert_true(locked_elsewhere(file));
        assert_int_equal(socktable_snapshot(&t), 0);
        assert_non_null(t.open);
        assert_true(locked_elsewhere(file));
        socktable_done(&t);
        close(file);
        close_all(fds, 2 * LARGE_PAIRS);
}

static void test_filter(void **state) {
        static const char abstract[] = "\0bus";
        CutFilter f;

        cut_filter_init(&f, NULL, "/run/lg/devlog");
        assert_true(cut_filter_match(&f, "/run/dbus/system_bus_socket", 27));
        assert_true(cut_filter_match(&f, "/var/run/dbus/system_bus_socket", 31));
        assert_true(cut_filter_match(&f, "/run/systemd/io.systemd.Login", 29));
        assert_true(cut_filter_match(&f, "/dev/log", 8));
        assert_true(cut_filter_match(&f, "/run/lg/devlog", 14));
        assert_false(cut_filter_match(&f, "/run/user/0/bus", 15));
        assert_false(cut_filter_match(&f, "/run/systemdx", 13));
        assert_false(cut_filter_match(&f, "", 0));
        assert_false(cut_filter_match(&f, abstract, sizeof(abstract) - 1));

        cut_filter_init(&f, "unix:abstract=bus,guid=1;unix:path=/x", "/dev/log");
        assert_true(cut_filter_match(&f, abstract, sizeof(abstract) - 1));
        assert_false(cut_filter_match(&f, "\0bus2", 5));

        cut_filter_init(&f, "tcp:host=a;unix:path=/tmp/bus.sock", "/dev/log");
        assert_true(cut_filter_match(&f, "/tmp/bus.sock", 13));
        assert_false(cut_filter_match(&f, "/tmp/bus.sock2", 14));
}

static int listen_at(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        (void) snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        (void) unlink(path);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(fd, 16), 0);
        return fd;
}

static int connect_to(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        (void) snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        return fd;
}

static bool was_shut_down(int fd) {
        char c;

        return send(fd, &c, 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno == EPIPE;
}

/* The program's own connection to a cuttable peer survives; the one
 * opened after the snapshot is cut, once. */
static void cut_only_the_new_one(unsigned pairs) {
        char dir[] = "/tmp/test-sockset.XXXXXX", path[64];
        int fds[2 * LARGE_PAIRS], srv, old, new_fd;
        static char dents[8192] __attribute__((aligned(8)));
        CutMemory mem = {};
        SockTable t = {};
        CutFilter f;

        assert_non_null(mkdtemp(dir));
        (void) snprintf(path, sizeof(path), "%s/devlog", dir);
        srv = listen_at(path);
        old = connect_to(path);
        open_pairs(fds, pairs);
        assert_int_equal(socktable_snapshot(&t), 0);
        assert_true(pairs < LARGE_PAIRS / 2 ? t.open == NULL : t.open != NULL);
        new_fd = connect_to(path);
        cut_filter_init(&f, NULL, path);
        assert_int_equal(sockets_cut_new(&t, &f, &mem, dents, sizeof(dents)), 1);
        assert_true(was_shut_down(new_fd));
        assert_false(was_shut_down(old));
        assert_int_equal(sockets_cut_new(&t, &f, &mem, dents, sizeof(dents)), 0);
        socktable_done(&t);
        close_all(fds, 2 * pairs);
        close(new_fd);
        close(old);
        close(srv);
        (void) unlink(path);
        (void) rmdir(dir);
}

static void test_cut_small_table(void **state) {
        cut_only_the_new_one(2);
}

static void test_cut_large_table(void **state) {
        cut_only_the_new_one(LARGE_PAIRS);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_small_table_is_exact),
                cmocka_unit_test(test_limit_bounds_the_table),
                cmocka_unit_test(test_poll_chunk_edges),
                cmocka_unit_test(test_large_table_under_poll_limit),
                cmocka_unit_test(test_large_table_is_fd_numbers),
                cmocka_unit_test(test_large_table_full_to_capacity),
                cmocka_unit_test(test_large_table_keeps_posix_locks),
                cmocka_unit_test(test_filter),
                cmocka_unit_test(test_cut_small_table),
                cmocka_unit_test(test_cut_large_table),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
