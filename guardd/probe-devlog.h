/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /dev/log health (incident 5). A connected, non-blocking datagram socket
 * polled for POLLOUT is not writable exactly when the reader's queue is
 * full; nothing is ever sent on it.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "states.h"

typedef struct DevlogProbe {
        char path[512];
        int fd;
        dev_t dev;
        ino_t ino;
        DevlogState state;
        uint64_t full_since_usec; /* 0 while writable */
} DevlogProbe;

void devlog_probe_init(DevlogProbe *p, const char *path);
void devlog_probe_done(DevlogProbe *p);
DevlogState devlog_probe_run(DevlogProbe *p, uint64_t now, uint64_t stuck_usec);
