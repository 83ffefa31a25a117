/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The non-blocking syslog sender: delivers, and drops instead of blocking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "io-util.h"
#include "nblog.h"

static int bind_reader(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        strcpy(sa.sun_path, path);
        (void) unlink(path);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        return fd;
}

static void test_delivers(void **state) {
        char path[] = "/tmp/test-nblog.sock", buf[512];
        NbLog l = { .path = path, .ident = "unit", .facility = LOG_AUTHPRIV };
        int fd = bind_reader(path);
        ssize_t n;

        assert_int_equal(nblog_send(&l, LOG_ERR, "hello %d", 42), 0);
        n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        assert_true(n > 0);
        buf[n] = '\0';
        /* <83> = LOG_AUTHPRIV (10<<3 = 80) | LOG_ERR (3) */
        assert_non_null(strstr(buf, "<83>unit["));
        assert_non_null(strstr(buf, "]: hello 42"));
        assert_int_equal(l.sent, 1);
        close(fd);
        unlink(path);
}

static void test_never_blocks(void **state) {
        char path[] = "/tmp/test-nblog-full.sock";
        NbLog l = { .path = path, .ident = "unit", .facility = LOG_AUTHPRIV };
        int fd = bind_reader(path);
        uint64_t t0 = now_usec(CLOCK_MONOTONIC);

        /* Nobody reads: the queue fills (max_dgram_qlen) and further sends drop. */
        for (int i = 0; i < 2000; i++)
                (void) nblog_send(&l, LOG_INFO, "message %d", i);
        assert_true(l.dropped > 0);
        assert_int_equal(l.sent + l.dropped, 2000);
        /* Generous: 2000 non-blocking sends take milliseconds; a blocking one never returns. */
        assert_true(now_usec(CLOCK_MONOTONIC) - t0 < 10 * 1000000ULL);
        close(fd);
        unlink(path);
}

static void test_no_reader(void **state) {
        NbLog l = { .path = "/tmp/test-nblog-nobody.sock", .ident = "unit" };

        (void) unlink(l.path);
        assert_true(nblog_send(&l, LOG_INFO, "x") < 0);
        assert_int_equal(l.failed, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_delivers),
                cmocka_unit_test(test_never_blocks),
                cmocka_unit_test(test_no_reader),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
