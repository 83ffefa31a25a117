/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers for the small values users type into loginguard.conf and PAM
 * lines. Every function returns -EINVAL for malformed input and -ERANGE for
 * values that do not fit, leaving the output untouched.
 */
#include "parse-util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"

/**
 * parse_u64() - parse a decimal unsigned 64-bit number.
 * @s: digits only; no sign, no white space, no base prefix
 * @ret: result
 *
 * Return: 0, -EINVAL or -ERANGE.
 */
int parse_u64(const char *s, uint64_t *ret) {
        unsigned long long v;
        char *end;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        /* "08" is most likely a typo for something, and strtoull would read it as 8. */
        if (s[0] == '0' && s[1] != '\0')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        *ret = (uint64_t) v;
        return 0;
}

/**
 * parse_i64() - a signed decimal: an optional '-', then as parse_u64().
 * @s: input
 * @ret: result
 *
 * Return: 0, -EINVAL or -ERANGE.
 */
int parse_i64(const char *s, int64_t *ret) {
        bool neg = s && *s == '-';
        uint64_t u;
        int r;

        r = parse_u64(neg ? s + 1 : s, &u);
        if (r < 0)
                return r;
        if (u > (uint64_t) INT64_MAX + neg)
                return -ERANGE;
        *ret = neg ? (int64_t) (0 - u) : (int64_t) u;
        return 0;
}

/**
 * parse_u64_range() - parse_u64() with inclusive bounds.
 * @s: input
 * @min: smallest accepted value
 * @max: largest accepted value
 * @ret: result
 *
 * Return: 0, -EINVAL or -ERANGE.
 */
int parse_u64_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret) {
        uint64_t v;
        int r;

        r = parse_u64(s, &v);
        if (r < 0)
                return r;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

static const struct {
        const char *suffix;
        uint64_t usec;
} duration_units[] = {
        { "us", 1 },
        { "ms", USEC_PER_MSEC },
        { "s", USEC_PER_SEC },
        { "min", 60 * USEC_PER_SEC },
};

static int split_unit(const char *s, size_t *ret_digits, uint64_t *ret_unit) {
        size_t n = strspn(s, "0123456789");

        if (s[n] == '\0') {
                *ret_digits = n;
                *ret_unit = 0;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(duration_units); i++)
                if (strcmp(s + n, duration_units[i].suffix) == 0) {
                        *ret_digits = n;
                        *ret_unit = duration_units[i].usec;
                        return 0;
                }
        return -EINVAL;
}

/**
 * parse_duration() - parse "1500", "1500ms", "2s", "1min" into microseconds.
 * @s: input
 * @default_unit_usec: unit of a bare number (USEC_PER_MSEC for "_ms" keys)
 * @ret_usec: result
 *
 * Return: 0, -EINVAL or -ERANGE.
 */
int parse_duration(const char *s, uint64_t default_unit_usec, uint64_t *ret_usec) {
        char digits[32];
        uint64_t unit, v;
        size_t n;
        int r;

        if (!s)
                return -EINVAL;
        r = split_unit(s, &n, &unit);
        if (r < 0)
                return r;
        if (n == 0)
                return -EINVAL;
        if (n >= sizeof(digits))
                return -ERANGE;
        memcpy(digits, s, n);
        digits[n] = '\0';
        r = parse_u64(digits, &v);
        if (r < 0)
                return r;
        if (unit == 0)
                unit = default_unit_usec;
        if (v > UINT64_MAX / unit)
                return -ERANGE;
        *ret_usec = v * unit;
        return 0;
}

/**
 * parse_bool() - parse yes/no, true/false, on/off, 1/0.
 * @s: input (case-insensitive)
 * @ret: result
 *
 * Return: 0 or -EINVAL.
 */
int parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "1", "yes", "true", "on" };
        static const char *const no[] = { "0", "no", "false", "off" };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

/**
 * parse_socket_link() - the inode in a /proc/PID/fd link to a socket.
 * @target: the link's text, "socket:[12345]"
 * @ret_inode: the inode
 *
 * Return: 0, or -ENOTSOCK for anything else.
 */
int parse_socket_link(const char *target, uint64_t *ret_inode) {
        char digits[32];
        size_t len;

        if (strncmp(target, "socket:[", 8) != 0)
                return -ENOTSOCK;
        len = strlen(target + 8);
        if (len < 2 || len >= sizeof(digits) || target[8 + len - 1] != ']')
                return -ENOTSOCK;
        memcpy(digits, target + 8, len - 1);
        digits[len - 1] = '\0';
        return parse_u64(digits, ret_inode) < 0 ? -ENOTSOCK : 0;
}
