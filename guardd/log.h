/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guardd's own logging: stderr (the journal under systemd), never blocking.
 * When the reader of stderr is stuck, messages are dropped and counted
 * instead: a monitor must not hang on the very thing it watches.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include "macro.h"

void log_setup(void);
void log_set_debug(bool debug);
uint64_t log_dropped(void);
int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_debug(...) log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_error_errno(r, ...) log_internal(LOG_ERR, r, __VA_ARGS__)
#define log_warning_errno(r, ...) log_internal(LOG_WARNING, r, __VA_ARGS__)
