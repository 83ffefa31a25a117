/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Numbers, durations and booleans: edge cases and everything malformed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "parse-util.h"

static void test_u64(void **state) {
        uint64_t v = 7;

        assert_int_equal(parse_u64("0", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(parse_u64("18446744073709551615", &v), 0);
        assert_true(v == UINT64_MAX);
        v = 7;
        assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
        assert_int_equal(v, 7); /* untouched on failure */
        assert_int_equal(parse_u64("", &v), -EINVAL);
        assert_int_equal(parse_u64(NULL, &v), -EINVAL);
        assert_int_equal(parse_u64("-1", &v), -EINVAL);
        assert_int_equal(parse_u64("+1", &v), -EINVAL);
        assert_int_equal(parse_u64(" 1", &v), -EINVAL);
        assert_int_equal(parse_u64("1 ", &v), -EINVAL);
        assert_int_equal(parse_u64("0x10", &v), -EINVAL);
        assert_int_equal(parse_u64("08", &v), -EINVAL);
        assert_int_equal(parse_u64("12abc", &v), -EINVAL);
        assert_int_equal(v, 7);
}

static void test_range(void **state) {
        uint64_t v = 0;

        assert_int_equal(parse_u64_range("5", 1, 10, &v), 0);
        assert_int_equal(v, 5);
        assert_int_equal(parse_u64_range("0", 1, 10, &v), -ERANGE);
        assert_int_equal(parse_u64_range("11", 1, 10, &v), -ERANGE);
        assert_int_equal(parse_u64_range("10", 1, 10, &v), 0);
}

static void test_duration(void **state) {
        uint64_t v = 0;

        assert_int_equal(parse_duration("1500", 1000, &v), 0);
        assert_int_equal(v, 1500000);
        assert_int_equal(parse_duration("1500ms", 1000000, &v), 0);
        assert_int_equal(v, 1500000);
        assert_int_equal(parse_duration("2s", 1000, &v), 0);
        assert_int_equal(v, 2000000);
        assert_int_equal(parse_duration("1min", 1000, &v), 0);
        assert_int_equal(v, 60000000);
        assert_int_equal(parse_duration("250us", 1000, &v), 0);
        assert_int_equal(v, 250);
        assert_int_equal(parse_duration("0", 1000, &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(parse_duration("ms", 1000, &v), -EINVAL);
        assert_int_equal(parse_duration("5h", 1000, &v), -EINVAL);
        assert_int_equal(parse_duration("5 s", 1000, &v), -EINVAL);
        assert_int_equal(parse_duration("-5", 1000, &v), -EINVAL);
        assert_int_equal(parse_duration("1.5s", 1000, &v), -EINVAL);
        assert_int_equal(parse_duration("18446744073709551615s", 1000, &v), -ERANGE);
        assert_int_equal(parse_duration("123456789012345678901234567890123", 1, &v), -ERANGE);
        assert_int_equal(parse_duration(NULL, 1, &v), -EINVAL);
}

static void test_bool(void **state) {
        bool b = false;

        assert_int_equal(parse_bool("yes", &b), 0);
        assert_true(b);
        assert_int_equal(parse_bool("OFF", &b), 0);
        assert_false(b);
        assert_int_equal(parse_bool("1", &b), 0);
        assert_true(b);
        assert_int_equal(parse_bool("maybe", &b), -EINVAL);
        assert_int_equal(parse_bool("", &b), -EINVAL);
        assert_true(b);
}

static void test_socket_link(void **state) {
        uint64_t v = 0;

        assert_int_equal(parse_socket_link("socket:[12345]", &v), 0);
        assert_int_equal(v, 12345);
        assert_int_equal(parse_socket_link("pipe:[12345]", &v), -ENOTSOCK);
        assert_int_equal(parse_socket_link("socket:[]", &v), -ENOTSOCK);
        assert_int_equal(parse_socket_link("socket:[12", &v), -ENOTSOCK);
        assert_int_equal(parse_socket_link("socket:[1x]", &v), -ENOTSOCK);
        assert_int_equal(parse_socket_link("/dev/null", &v), -ENOTSOCK);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_u64),         cmocka_unit_test(test_range),
                cmocka_unit_test(test_duration),    cmocka_unit_test(test_bool),
                cmocka_unit_test(test_socket_link),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
