/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which connections a deadline cut may shut down: those to a peer the
 * wrapped session module talks to, the system bus, a socket under
 * /run/systemd/ (logind's Varlink socket, userdb, the journal) or /dev/log.
 * Another thread's unrelated connection is never cut. Used by the
 * module's own watchdog thread and by guardd when it watches the call.
 * Safe on the watchdog thread: no allocation, no errno, no locale.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define CUT_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path) */

typedef struct CutFilter {
        char bus[CUT_PATH_MAX]; /* the system bus socket: a path, or "\0name" (abstract) */
        size_t bus_len;
        char devlog[CUT_PATH_MAX];
} CutFilter;

void cut_filter_init(CutFilter *f, const char *bus_address, const char *devlog_path);
bool cut_filter_match(const CutFilter *f, const char *peer, size_t len);
