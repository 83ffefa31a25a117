/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Status file: round trip, and every rejection the reader must make. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io-util.h"
#include "status.h"

static char dir[] = "/tmp/test-status.XXXXXX";
static char path[256];

static void write_raw(const char *text, size_t len, mode_t mode) {
        int fd;

        (void) unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        assert_true(fd >= 0);
        assert_int_equal(loop_write(fd, text, len), 0);
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
}

static int read_verdict(unsigned *line) {
        Status *s = NULL;
        int r = status_read(path, getuid(), &s, line);

        status_free(s);
        return r;
}

static void test_round_trip(void **state) {
        Status *s = NULL, *t = NULL;
        struct stat st;

        assert_int_equal(status_new(&s), 0);
        assert_int_equal(status_set(s, "LOGIN1", "ok"), 0);
        assert_int_equal(status_set_u64(s, "WRITTEN_MONOTONIC_USEC", 42), 0);
        assert_int_equal(status_setf(s, "SUMMARY", "logind %s for %d s", "stuck", 14), 0);
        assert_int_equal(status_set(s, "LOGIN1", "stuck"), 0); /* replaces */
        assert_int_equal(status_set(s, "EMPTY", ""), 0);
        assert_int_equal(status_write(s, path), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);

        assert_int_equal(status_read(path, getuid(), &t, NULL), 0);
        assert_string_equal(status_key_at(t, 0), "FORMAT");
        assert_string_equal(status_get(t, "FORMAT"), "1");
        assert_string_equal(status_get(t, "LOGIN1"), "stuck");
        assert_string_equal(status_get(t, "SUMMARY"), "logind stuck for 14 s");
        assert_string_equal(status_get(t, "EMPTY"), "");
        assert_null(status_get(t, "NOPE"));
        status_free(s);
        status_free(t);
}

static void test_set_rejects(void **state) {
        Status *s = NULL;

        assert_int_equal(status_new(&s), 0);
        assert_int_equal(status_set(s, "lower", "x"), -EINVAL);
        assert_int_equal(status_set(s, "", "x"), -EINVAL);
        assert_int_equal(status_set(s, "A=B", "x"), -EINVAL);
        assert_int_equal(status_set(s, "KEY", "two\nlines"), -EINVAL);
        status_free(s);
}

static void test_too_big_to_write(void **state) {
        Status *s = NULL;
        char *big = malloc(STATUS_MAX_SIZE);

        assert_non_null(big);
        memset(big, 'x', STATUS_MAX_SIZE - 1);
        big[STATUS_MAX_SIZE - 1] = '\0';
        assert_int_equal(status_new(&s), 0);
        assert_int_equal(status_set(s, "BIG", big), 0);
        assert_int_equal(status_write(s, path), -EFBIG);
        free(big);
        status_free(s);
}

#define GOOD "FORMAT=1\nWRITTEN_MONOTONIC_USEC=1\nLOGIN1=ok\n"

static void test_rejections(void **state) {
        static const struct {
                const char *text;
                int verdict;
                unsigned line;
        } cases[] = {
                { "", STATUS_E_FORMAT, 1 },
                { "LOGIN1=ok\n", STATUS_E_FORMAT, 1 },
                { "FORMAT=2\nLOGIN1=ok\n", STATUS_E_FORMAT, 1 },
                { "FORMAT=x\n", STATUS_E_FORMAT, 1 },
                { "FORMAT=1.7\nLOGIN1=ok\n", 0, 0 }, /* a minor bump is compatible */
                { "FORMAT=1.\nLOGIN1=ok\n", STATUS_E_FORMAT, 1 }, /* found by fuzz-status */
                { "FORMAT=1.x\n", STATUS_E_FORMAT, 1 },
                { "FORMAT=1\nLOGIN1=ok", STATUS_E_TRUNCATED, 2 },
                { "FORMAT=1\nno equals sign\n", STATUS_E_SYNTAX, 2 },
                { "FORMAT=1\nlower=x\n", STATUS_E_SYNTAX, 2 },
                { "FORMAT=1\nA=1\nA=2\n", STATUS_E_DUPLICATE, 3 },
                { "FORMAT=1\n=x\n", STATUS_E_SYNTAX, 2 },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                unsigned line = 0;

                write_raw(cases[i].text, strlen(cases[i].text), 0644);
                assert_int_equal(read_verdict(&line), cases[i].verdict);
                assert_int_equal(line, cases[i].line);
        }
        write_raw("FORMAT=1\nA=\0\n", 13, 0644);
        assert_int_equal(read_verdict(NULL), STATUS_E_SYNTAX);
}

/* The module's view and guardd's parser agree on the FORMAT line, however
 * long a legal minor is (fuzz-status found the view refusing 17 characters). */
static void test_view_agrees_on_format(void **state) {
        static const struct {
                const char *text;
                int verdict;
        } cases[] = {
                { "FORMAT=1.111111112222222\n", 0 },
                { "FORMAT=1.18446744073709551615\n", 0 },
                { "FORMAT=1.18446744073709551616\n", STATUS_E_FORMAT },
                { "FORMAT=1.1111111111111111111111111111111111\n", STATUS_E_FORMAT },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const char *t = cases[i].text;
                Status *s = NULL;
                StatusView v;

                assert_int_equal(status_view_parse(t, strlen(t), &v, NULL), cases[i].verdict);
                assert_int_equal(status_parse(t, strlen(t), &s, NULL), cases[i].verdict);
                status_free(s);
        }
}

static void test_file_rejections(void **state) {
        char link[300], big[STATUS_MAX_SIZE + 64];
        size_t n;

        write_raw(GOOD, strlen(GOOD), 0666);
        assert_int_equal(read_verdict(NULL), TRUST_E_MODE);
        write_raw(GOOD, strlen(GOOD), 0620);
        assert_int_equal(read_verdict(NULL), TRUST_E_MODE);

        /* Oversize: a valid prefix padded past 16 KiB. */
        n = (size_t) snprintf(big, sizeof(big), "%s", GOOD);
        memset(big + n, 'x', sizeof(big) - n);
        write_raw(big, sizeof(big), 0644);
        assert_int_equal(read_verdict(NULL), TRUST_E_OVERSIZE);

        write_raw(GOOD, strlen(GOOD), 0644);
        (void) snprintf(link, sizeof(link), "%s/link", dir);
        assert_int_equal(symlink(path, link), 0);
        {
                Status *s = NULL;
                assert_int_equal(status_read(link, getuid(), &s, NULL), TRUST_E_SYMLINK);
        }
        unlink(link);

        unlink(path);
        assert_int_equal(mkfifo(path, 0644), 0);
        assert_int_equal(read_verdict(NULL), TRUST_E_NOT_REGULAR);
        unlink(path);
        assert_int_equal(mkdir(path, 0755), 0);
        assert_int_equal(read_verdict(NULL), TRUST_E_NOT_REGULAR);
        rmdir(path);
        assert_int_equal(read_verdict(NULL), -ENOENT);
}

static void test_wrong_owner(void **state) {
        Status *s = NULL;

        write_raw(GOOD, strlen(GOOD), 0644);
        if (geteuid() == 0) {
                assert_int_equal(chown(path, 65534, 65534), 0);
                assert_int_equal(status_read(path, 0, &s, NULL), TRUST_E_OWNER);
        } else
                /* Ours, but only root's (uid 0) is asked for. */
                assert_int_equal(status_read(path, 0, &s, NULL), TRUST_E_OWNER);
        assert_null(s);
}

static void test_freshness(void **state) {
        Status *s = NULL;
        uint64_t age = 0;

        assert_int_equal(status_new(&s), 0);
        assert_int_equal(status_check_fresh(s, 10000000, 5000000, NULL), STATUS_E_NO_TIMESTAMP);
        assert_int_equal(status_set(s, "WRITTEN_MONOTONIC_USEC", "garbage"), 0);
        assert_int_equal(status_check_fresh(s, 10000000, 5000000, NULL), STATUS_E_NO_TIMESTAMP);
        assert_int_equal(status_set_u64(s, "WRITTEN_MONOTONIC_USEC", 8000000), 0);
        assert_int_equal(status_check_fresh(s, 10000000, 5000000, &age), 0);
        assert_int_equal(age, 2000000);
        assert_int_equal(status_check_fresh(s, 13000001, 5000000, &age), STATUS_E_STALE);
        assert_int_equal(age, 5000001);
        assert_int_equal(status_check_fresh(s, 13000000, 5000000, NULL), 0); /* exactly max_age */
        /* Written "later" than now beyond the skew allowance: forged or another boot. */
        assert_int_equal(status_check_fresh(s, 1000000, 5000000, NULL), STATUS_E_FUTURE);
        assert_int_equal(status_check_fresh(s, 7500000, 5000000, NULL), 0);
        status_free(s);
}

static void test_strerror(void **state) {
        for (int v = 1; v < _STATUS_E_MAX; v++) {
                assert_non_null(status_strerror(v));
                assert_string_not_equal(status_strerror(v), "is unusable");
        }
        assert_string_equal(status_strerror(999), "is unusable");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_set_rejects),
                cmocka_unit_test(test_too_big_to_write),
                cmocka_unit_test(test_rejections),
                cmocka_unit_test(test_view_agrees_on_format),
                cmocka_unit_test(test_file_rejections),
                cmocka_unit_test(test_wrong_owner),
                cmocka_unit_test(test_freshness),
                cmocka_unit_test(test_strerror),
        };
        int r;

        if (!mkdtemp(dir))
                return 1;
        (void) snprintf(path, sizeof(path), "%s/status", dir);
        r = cmocka_run_group_tests(tests, NULL, NULL);
        (void) unlink(path);
        (void) rmdir(dir);
        return r;
}
