/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict number, duration and boolean parsing for config files, module
 * arguments and the status file: no atoi(), no sscanf(), no silent
 * truncation, no leading sign or white space.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

int parse_u64(const char *s, uint64_t *ret);
int parse_i64(const char *s, int64_t *ret);
int parse_u64_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
int parse_duration(const char *s, uint64_t default_unit_usec, uint64_t *ret_usec);
int parse_bool(const char *s, bool *ret);
int parse_socket_link(const char *target, uint64_t *ret_inode);
