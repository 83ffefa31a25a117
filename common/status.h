/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The status file (docs/INTERFACE.md §4): KEY=VALUE lines, FORMAT=1 first,
 * at most 16 KiB, replaced atomically. This is the only code that knows the
 * format; guardd writes it, the module and `guardd status` read it, and the
 * module's breaker files reuse the same line format.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "io-util.h"
#include "macro.h"

#define STATUS_MAX_SIZE ((size_t) 16 * 1024)
#define STATUS_KEY_MAX 64U
#define STATUS_FORMAT_MAJOR 1

/* Positive verdicts; TRUST_E_* from io-util.h come first. */
enum {
        STATUS_E_SYNTAX = _TRUST_E_MAX,
        STATUS_E_FORMAT,
        STATUS_E_TRUNCATED,
        STATUS_E_DUPLICATE,
        STATUS_E_NO_TIMESTAMP,
        STATUS_E_STALE,
        STATUS_E_FUTURE,
        _STATUS_E_MAX,
};

typedef struct Status Status;

/* A parsed view of status text that allocates nothing: for the module's
 * decision path, which reads a handful of keys on every login. */
typedef struct StatusView {
        const char *text; /* borrowed, NUL-terminated */
        size_t len;
} StatusView;

int status_new(Status **ret);
Status *status_free(Status *s);
DEFINE_CLEANUP(Status *, status_free);

int status_set(Status *s, const char *key, const char *value);
int status_setf(Status *s, const char *key, const char *fmt, ...) _printf_(3, 4);
int status_set_text(Status *s, const char *key, const char *value);
void status_sanitize(const char *in, char *out, size_t size);
int status_set_u64(Status *s, const char *key, uint64_t value);
const char *status_get(const Status *s, const char *key);
int status_get_u64(const Status *s, const char *key, uint64_t *ret);
size_t status_count(const Status *s);
const char *status_key_at(const Status *s, size_t i);
const char *status_value_at(const Status *s, size_t i);

int status_parse(const char *buf, size_t len, Status **ret, unsigned *reterr_line);
int status_format(const Status *s, char **ret, size_t *ret_len);
int status_write(const Status *s, const char *path);
int status_read(const char *path, uid_t owner, Status **ret, unsigned *reterr_line);
int status_check_fresh(const Status *s, uint64_t now_monotonic_usec, uint64_t max_age_usec,
                       uint64_t *ret_age_usec);
const char *status_strerror(int verdict);
int status_view_parse(const char *text, size_t len, StatusView *ret, unsigned *reterr_line);
int status_view_get(const StatusView *v, const char *key, char *buf, size_t size);
int status_view_check_fresh(const StatusView *v, uint64_t now_monotonic_usec,
                            uint64_t max_age_usec);
bool status_key_valid(const char *key);
