/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Status file reader and writer. The reader is strict because the module
 * trusts what it says to skip logind: anything that is not exactly what
 * guardd writes is rejected with a verdict and the line it failed on.
 */
#include "status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <inttypes.h>
#include <time.h>

#include "parse-util.h"

typedef struct StatusEntry {
        char *key;
        char *value;
} StatusEntry;

struct Status {
        StatusEntry *entries;
        size_t n;
        size_t allocated;
};

/**
 * status_new() - allocate an empty status.
 * @ret: the new object
 *
 * Return: 0 or -ENOMEM.
 */
int status_new(Status **ret) {
        Status *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/**
 * status_free() - free a status; NULL is fine.
 * @s: object
 *
 * Return: NULL.
 */
Status *status_free(Status *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n; i++) {
                free(s->entries[i].key);
                free(s->entries[i].value);
        }
        free(s->entries);
        free(s);
        return NULL;
}

/**
 * status_key_valid() - whether @key is a legal status key ([A-Z0-9_], 1-64 chars).
 * @key: candidate
 *
 * Return: true when valid.
 */
bool status_key_valid(const char *key) {
        size_t n = strlen(key);

        if (n == 0 || n > STATUS_KEY_MAX)
                return false;
        return strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

static bool value_valid(const char *value) {
        return !strchr(value, '\n') && !strchr(value, '\r');
}

static StatusEntry *find_entry(const Status *s, const char *key) {
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->entries[i].key, key) == 0)
                        return &s->entries[i];
        return NULL;
}

static int grow(Status *s) {
        StatusEntry *e;
        size_t n;

        if (s->n < s->allocated)
                return 0;
        n = s->allocated ? s->allocated * 2 : 32;
        e = reallocarray(s->entries, n, sizeof(*e));
        if (!e)
                return -ENOMEM;
        s->entries = e;
        s->allocated = n;
        return 0;
}

/**
 * status_set() - set @key to @value, replacing an earlier value.
 * @s: status
 * @key: [A-Z0-9_] key
 * @value: one line of text (may be empty)
 *
 * Return: 0, -EINVAL for an illegal key or a value with a newline, -ENOMEM.
 */
int status_set(Status *s, const char *key, const char *value) {
        StatusEntry *e;
        char *k, *v;

        if (!status_key_valid(key) || !value_valid(value))
                return -EINVAL;
        v = strdup(value);
        if (!v)
                return -ENOMEM;
        e = find_entry(s, key);
        if (e) {
                free(e->value);
                e->value = v;
                return 0;
        }
        k = strdup(key);
        if (!k || grow(s) < 0) {
                free(k);
                free(v);
                return -ENOMEM;
        }
        s->entries[s->n++] = (StatusEntry){ .key = k, .value = v };
        return 0;
}

/* Length of the valid UTF-8 sequence at @s (1-4), or 0. Overlong forms,
 * surrogates and code points past U+10FFFF are invalid. */
static size_t utf8_valid_len(const unsigned char *s) {
        unsigned char c = s[0];
        size_t n;
        uint32_t cp;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                n = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                n = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                n = 4, cp = c & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

/**
 * status_sanitize() - make text from outside (process names, socket paths,
 * unit names) safe for the status file and every output: control bytes and
 * invalid UTF-8 become '?', and it is cut (at a character boundary) to fit.
 * @in: any bytes, NUL-terminated
 * @out: result, NUL-terminated
 * @size: its size
 */
void status_sanitize(const char *in, char *out, size_t size) {
        const unsigned char *p = (const unsigned char *) in;
        size_t o = 0;

        while (*p && o + 1 < size) {
                size_t n = utf8_valid_len(p);

                if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
                        out[o++] = '?';
                        p += n ? n : 1;
                        continue;
                }
                if (o + n >= size)
                        break;
                memcpy(out + o, p, n);
                o += n;
                p += n;
        }
        out[o] = '\0';
}

/**
 * status_set_text() - status_set() for a value that comes from outside:
 * sanitized first (status_sanitize()), so it can never make a round fail.
 * @s: status
 * @key: key
 * @value: any text
 *
 * Return: 0, -EINVAL for an illegal key, -ENOMEM.
 */
int status_set_text(Status *s, const char *key, const char *value) {
        char clean[1024];

        status_sanitize(value ? value : "", clean, sizeof(clean));
        return status_set(s, key, clean);
}

/**
 * status_setf() - status_set() with a printf-style value.
 * @s: status
 * @key: key
 * @fmt: format
 *
 * Return: as status_set().
 */
int status_setf(Status *s, const char *key, const char *fmt, ...) {
        _cleanup_free_ char *v = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&v, fmt, ap);
        va_end(ap);
        if (r < 0) {
                v = NULL;
                return -ENOMEM;
        }
        return status_set(s, key, v);
}

/**
 * status_set_u64() - set @key to a decimal number.
 * @s: status
 * @key: key
 * @value: number
 *
 * Return: as status_set().
 */
int status_set_u64(Status *s, const char *key, uint64_t value) {
        char buf[32];

        (void) snprintf(buf, sizeof(buf), "%" PRIu64, value);
        return status_set(s, key, buf);
}

/**
 * status_get() - look up @key.
 * @s: status
 * @key: key
 *
 * Return: the value (owned by @s), or NULL when absent.
 */
const char *status_get(const Status *s, const char *key) {
        const StatusEntry *e = find_entry(s, key);

        return e ? e->value : NULL;
}

/**
 * status_get_u64() - look up @key as a decimal number.
 * @s: status
 * @key: key
 * @ret: the number
 *
 * Return: 0, -ENOENT when absent or empty, -EINVAL/-ERANGE when malformed.
 */
int status_get_u64(const Status *s, const char *key, uint64_t *ret) {
        const char *v = status_get(s, key);

        if (!v || !*v)
                return -ENOENT;
        return parse_u64(v, ret);
}

/**
 * status_count() - number of keys.
 * @s: status
 *
 * Return: the count.
 */
size_t status_count(const Status *s) {
        return s->n;
}

/**
 * status_key_at() - key number @i, in insertion order.
 * @s: status
 * @i: index below status_count()
 *
 * Return: the key.
 */
const char *status_key_at(const Status *s, size_t i) {
        return i < s->n ? s->entries[i].key : NULL;
}

/**
 * status_value_at() - value number @i, in insertion order.
 * @s: status
 * @i: index below status_count()
 *
 * Return: the value.
 */
const char *status_value_at(const Status *s, size_t i) {
        return i < s->n ? s->entries[i].value : NULL;
}

/* "1" or "1.<minor>": a minor bump only adds keys, which readers ignore. */
static int check_format_line(const char *value) {
        uint64_t major, minor;
        const char *dot = strchr(value, '.');
        char buf[16];
        size_t n = dot ? (size_t) (dot - value) : strlen(value);

        if (n == 0 || n >= sizeof(buf))
                return STATUS_E_FORMAT;
        memcpy(buf, value, n);
        buf[n] = '\0';
        if (parse_u64(buf, &major) < 0 || major != STATUS_FORMAT_MAJOR)
                return STATUS_E_FORMAT;
        if (dot && parse_u64(dot + 1, &minor) < 0)
                return STATUS_E_FORMAT;
        return 0;
}

static int parse_line(Status *s, char *line, unsigned lineno) {
        char *eq = strchr(line, '=');
        int r;

        if (!eq)
                return STATUS_E_SYNTAX;
        *eq = '\0';
        if (!status_key_valid(line))
                return STATUS_E_SYNTAX;
        if (lineno == 1) {
                if (strcmp(line, "FORMAT") != 0)
                        return STATUS_E_FORMAT;
                r = check_format_line(eq + 1);
                if (r != 0)
                        return r;
        }
        if (find_entry(s, line))
                return STATUS_E_DUPLICATE;
        return status_set(s, line, eq + 1);
}

static int parse_lines(Status *s, char *text, unsigned *lineno) {
        char *nl;
        int r;

        for (char *p = text; *p; p = nl + 1) {
                (*lineno)++;
                nl = strchr(p, '\n');
                if (!nl)
                        return STATUS_E_TRUNCATED;
                *nl = '\0';
                r = parse_line(s, p, *lineno);
                if (r != 0)
                        return r;
        }
        return *lineno == 0 ? STATUS_E_FORMAT : 0;
}

/**
 * status_parse() - parse status text.
 * @buf: text
 * @len: its length; NUL bytes inside are a syntax error
 * @ret: parsed status
 * @reterr_line: the line a verdict refers to (may be NULL)
 *
 * Return: 0, a positive STATUS_E_* verdict, or -ENOMEM.
 */
int status_parse(const char *buf, size_t len, Status **ret, unsigned *reterr_line) {
        Status *s = NULL;
        unsigned lineno = 0;
        char *copy;
        int r;

        if (len > STATUS_MAX_SIZE)
                return TRUST_E_OVERSIZE;
        if (memchr(buf, '\0', len))
                return STATUS_E_SYNTAX;
        /* Explicit frees here: clang-analyzer 14 does not model cleanup
         * attributes on this path and would report a leak. */
        copy = strndup(buf, len);
        if (!copy)
                return -ENOMEM;
        r = status_new(&s);
        if (r >= 0)
                r = parse_lines(s, copy, &lineno);
        free(copy);
        if (r != 0) {
                status_free(s);
                if (reterr_line && r > 0)
                        *reterr_line = lineno ? lineno : 1;
                return r;
        }
        *ret = s;
        return 0;
}

/**
 * status_format() - render @s as text, FORMAT=1 first.
 * @s: status; a FORMAT key in it is ignored
 * @ret: malloc'd text
 * @ret_len: its length
 *
 * Return: 0, -EFBIG beyond STATUS_MAX_SIZE, -ENOMEM.
 */
int status_format(const Status *s, char **ret, size_t *ret_len) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        (void) fprintf(f, "FORMAT=%d\n", STATUS_FORMAT_MAJOR);
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->entries[i].key, "FORMAT") != 0)
                        (void) fprintf(f, "%s=%s\n", s->entries[i].key, s->entries[i].value);
        if (fclose(f) != 0)
                return -ENOMEM;
        if (size > STATUS_MAX_SIZE)
                return -EFBIG;
        *ret = TAKE_PTR(text);
        *ret_len = size;
        return 0;
}

/**
 * status_write() - atomically replace @path with @s (mode 0644, fsync'd).
 * @s: status
 * @path: destination
 *
 * Return: 0 or -errno.
 */
int status_write(const Status *s, const char *path) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = status_format(s, &text, &len);
        if (r < 0)
                return r;
        return write_file_atomic(AT_FDCWD, path, text, len, 0644, true);
}

/**
 * status_read() - read and validate a status file.
 * @path: file
 * @owner: uid that may own it besides root (the module passes 0)
 * @ret: parsed status
 * @reterr_line: line of a syntax verdict (may be NULL)
 *
 * Freshness is checked separately with status_check_fresh().
 *
 * Return: 0, a positive TRUST_E_* or STATUS_E_* verdict, or -errno.
 */
int status_read(const char *path, uid_t owner, Status **ret, unsigned *reterr_line) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        r = read_trusted_file(AT_FDCWD, path, owner, STATUS_MAX_SIZE, &buf, &len);
        if (r != 0)
                return r;
        return status_parse(buf, len, ret, reterr_line);
}

/**
 * status_check_fresh() - whether @s was written less than @max_age_usec ago.
 * @s: status
 * @now_monotonic_usec: CLOCK_MONOTONIC now
 * @max_age_usec: age limit
 * @ret_age_usec: the age (may be NULL)
 *
 * Return: 0 when fresh, STATUS_E_NO_TIMESTAMP, STATUS_E_STALE or
 * STATUS_E_FUTURE (written "later" than now: forged or from another boot).
 */
int status_check_fresh(const Status *s, uint64_t now_monotonic_usec, uint64_t max_age_usec,
                       uint64_t *ret_age_usec) {
        /* Allow a little skew for a writer whose clock read raced ours. */
        const uint64_t skew = USEC_PER_SEC;
        uint64_t written;

        if (status_get_u64(s, "WRITTEN_MONOTONIC_USEC", &written) < 0)
                return STATUS_E_NO_TIMESTAMP;
        if (written > now_monotonic_usec + skew)
                return STATUS_E_FUTURE;
        if (ret_age_usec)
                *ret_age_usec = now_monotonic_usec > written ? now_monotonic_usec - written : 0;
        if (now_monotonic_usec > written && now_monotonic_usec - written > max_age_usec)
                return STATUS_E_STALE;
        return 0;
}

/* One line of text, without its newline: a legal key, '=', no NUL/CR. */
static int view_line(const char *p, size_t n, unsigned lineno) {
        const char *eq = memchr(p, '=', n);
        /* "1.<minor>": a u64 minor has at most 20 digits, so 22 characters;
         * anything longer is refused by check_format_line() too. */
        char key[STATUS_KEY_MAX + 1], value[32];
        size_t klen;

        if (!eq || memchr(p, '\r', n))
                return STATUS_E_SYNTAX;
        klen = (size_t) (eq - p);
        if (klen == 0 || klen > STATUS_KEY_MAX)
                return STATUS_E_SYNTAX;
        memcpy(key, p, klen);
        key[klen] = '\0';
        if (!status_key_valid(key))
                return STATUS_E_SYNTAX;
        if (lineno > 1)
                return 0;
        if (strcmp(key, "FORMAT") != 0 || n - klen - 1 >= sizeof(value))
                return STATUS_E_FORMAT;
        memcpy(value, eq + 1, n - klen - 1);
        value[n - klen - 1] = '\0';
        return check_format_line(value);
}

/**
 * status_view_parse() - validate status text without copying it. Every
 * line is checked as status_parse() does; repeated keys are caught when
 * they are looked up (status_view_get()).
 * @text: NUL-terminated text
 * @len: its length
 * @ret: the view, borrowing @text
 * @reterr_line: the line a verdict refers to (may be NULL)
 *
 * Return: 0 or a positive STATUS_E_* / TRUST_E_OVERSIZE verdict.
 */
int status_view_parse(const char *text, size_t len, StatusView *ret, unsigned *reterr_line) {
        unsigned lineno = 0;
        const char *p = text, *end = text + len;
        int r = 0;

        if (len > STATUS_MAX_SIZE)
                return TRUST_E_OVERSIZE;
        if (memchr(text, '\0', len))
                r = STATUS_E_SYNTAX;
        while (r == 0 && p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));

                lineno++;
                r = nl ? view_line(p, (size_t) (nl - p), lineno) : STATUS_E_TRUNCATED;
                p = nl ? nl + 1 : end;
        }
        if (r == 0 && lineno == 0)
                r = STATUS_E_FORMAT;
        if (r != 0) {
                if (reterr_line)
                        *reterr_line = MAX(lineno, 1U);
                return r;
        }
        *ret = (StatusView){ .text = text, .len = len };
        return 0;
}

/**
 * status_view_get() - copy the value of @key.
 * @v: view
 * @key: key
 * @buf: out, NUL-terminated (truncated to @size - 1)
 * @size: its size
 *
 * Return: 0; -ENOENT when absent; STATUS_E_DUPLICATE when repeated.
 */
int status_view_get(const StatusView *v, const char *key, char *buf, size_t size) {
        size_t klen = strlen(key);
        const char *found = NULL, *p = v->text, *end = v->text + v->len;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));

                if ((size_t) (nl - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == '=') {
                        if (found)
                                return STATUS_E_DUPLICATE;
                        found = p + klen + 1;
                        (void) snprintf(buf, size, "%.*s", (int) (nl - found), found);
                }
                p = nl + 1;
        }
        return found ? 0 : -ENOENT;
}

/**
 * status_view_check_fresh() - status_check_fresh() for a view.
 * @v: view
 * @now_monotonic_usec: CLOCK_MONOTONIC now
 * @max_age_usec: age limit
 *
 * Return: as status_check_fresh().
 */
int status_view_check_fresh(const StatusView *v, uint64_t now_monotonic_usec,
                            uint64_t max_age_usec) {
        const uint64_t skew = USEC_PER_SEC;
        uint64_t written;
        char buf[32];

        if (status_view_get(v, "WRITTEN_MONOTONIC_USEC", buf, sizeof(buf)) != 0 ||
            parse_u64(buf, &written) < 0)
                return STATUS_E_NO_TIMESTAMP;
        if (written > now_monotonic_usec + skew)
                return STATUS_E_FUTURE;
        if (now_monotonic_usec > written && now_monotonic_usec - written > max_age_usec)
                return STATUS_E_STALE;
        return 0;
}

/**
 * status_strerror() - describe a TRUST_E_* or STATUS_E_* verdict.
 * @verdict: positive verdict
 *
 * Return: a static string.
 */
const char *status_strerror(int verdict) {
        static const char *const table[_STATUS_E_MAX - _TRUST_E_MAX] = {
                [STATUS_E_SYNTAX - _TRUST_E_MAX] = "has a malformed line",
                [STATUS_E_FORMAT - _TRUST_E_MAX] = "does not start with FORMAT=1",
                [STATUS_E_TRUNCATED - _TRUST_E_MAX] = "is truncated",
                [STATUS_E_DUPLICATE - _TRUST_E_MAX] = "repeats a key",
                [STATUS_E_NO_TIMESTAMP - _TRUST_E_MAX] = "has no WRITTEN_MONOTONIC_USEC",
                [STATUS_E_STALE - _TRUST_E_MAX] = "is stale",
                [STATUS_E_FUTURE - _TRUST_E_MAX] = "is dated in the future",
        };

        if (verdict >= _TRUST_E_MAX && verdict < _STATUS_E_MAX)
                return table[verdict - _TRUST_E_MAX];
        return trust_strerror(verdict);
}
