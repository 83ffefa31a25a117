/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One Varlink call with a deadline, on the event loop, never blocking: used
 * to see whether PID 1 answers on its userdb socket
 * (/run/systemd/userdb/io.systemd.DynamicUser), which pam_systemd asks
 * before it talks to logind. Any reply counts, an error included: the
 * question is only whether PID 1 reads and answers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "states.h"

typedef struct VarlinkPing {
        char path[108];
        const char *request; /* JSON text, sent with its terminating NUL */
        sd_event *event;
        uint64_t timeout_usec;
        /* the call under way */
        int fd;
        sd_event_source *io;
        uint64_t started_usec;
        uint64_t lost_at_start; /* own_lost_usec() when it went out */
        uint64_t late_calls; /* past the deadline while guardd was late */
        size_t sent;
        bool answered;
        uint64_t answered_usec;
        /* judged */
        PingState state;
        uint64_t rtt_usec;
        uint64_t unanswered_since_usec;
} VarlinkPing;

void varlink_ping_init(VarlinkPing *p, sd_event *event, const char *path, const char *request,
                       uint64_t timeout_usec);
void varlink_ping_done(VarlinkPing *p);
void varlink_ping_start(VarlinkPing *p, uint64_t now);
void varlink_ping_finish(VarlinkPing *p, uint64_t now);
bool varlink_ping_idle(const VarlinkPing *p, uint64_t now);
