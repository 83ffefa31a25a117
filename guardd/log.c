/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Non-blocking stderr logger with "<N>" level prefixes, which journald
 * reads as the priority (sd-daemon(3) SD_ERR style).
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t dropped;
static bool prefix_levels;
static bool debug_enabled;

/**
 * log_setup() - make stderr non-blocking (unless it is a terminal, whose
 * file description the shell shares) and pick the line format.
 */
void log_setup(void) {
        int flags;

        prefix_levels = getenv("JOURNAL_STREAM") != NULL;
        if (isatty(STDERR_FILENO))
                return;
        flags = fcntl(STDERR_FILENO, F_GETFL);
        if (flags >= 0)
                (void) fcntl(STDERR_FILENO, F_SETFL, flags | O_NONBLOCK);
}

void log_set_debug(bool debug) {
        debug_enabled = debug;
}

/**
 * log_dropped() - messages dropped because stderr would have blocked.
 *
 * Return: the count since start.
 */
uint64_t log_dropped(void) {
        return dropped;
}

/**
 * log_internal() - log one line; %m prints -@error's message.
 * @level: LOG_ERR, ...
 * @error: negative errno or 0
 * @fmt: format
 *
 * Return: @error (so that `return log_error_errno(r, ...)` works), or
 * -EIO when @error is 0 and the level is an error.
 */
int log_internal(int level, int error, const char *fmt, ...) {
        char buf[1024];
        va_list ap;
        int n = 0, m;
        ssize_t w;

        if (level == LOG_DEBUG && !debug_enabled)
                return error;
        if (prefix_levels)
                n = snprintf(buf, sizeof(buf), "<%d>", level);
        errno = error < 0 ? -error : error;
        va_start(ap, fmt);
        m = vsnprintf(buf + n, sizeof(buf) - (size_t) n - 1, fmt, ap);
        va_end(ap);
        if (m < 0)
                return error;
        n = (size_t) n + (size_t) m >= sizeof(buf) - 1 ? (int) sizeof(buf) - 2 : n + m;
        buf[n++] = '\n';
        w = write(STDERR_FILENO, buf, (size_t) n);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                dropped++;
        return error;
}
