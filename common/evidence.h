/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the watchdog looks at before it cuts a call that ran past the
 * deadline. A cut is clean only while logind has not taken the request:
 * logind writes the session's state file (LEADER=<our pid>) as soon as it
 * has taken CreateSession and started the scope, but replies only after
 * PID 1 has started the scope and, on a user's first login, user@.service.
 * Cutting then leaves logind finishing a session for a client that is gone
 * (an abandoned scope, or the login killed under KillUserProcesses=yes).
 * And while PID 1 is stopped or stuck, logind may hold our request inside
 * a synchronous call to PID 1 before it has written anything.
 *
 * The watchdog is the module's own thread, which shares the caller's TLS,
 * or guardd watching the call from outside (for the process @pid): so no
 * allocation, no errno, no stdio, raw system calls only; the caller passes
 * the buffers. Nothing here needs NSS or the bus.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

/* Why a cut now would not be clean. */
typedef enum GuardWait {
        GUARD_WAIT_TAKEN = 1U << 0, /* logind had taken the request */
        GUARD_WAIT_PID1 = 1U << 1, /* PID 1 was stopped or stuck */
} GuardWait;

#define EVIDENCE_PID1_STAT_MAX 512U

typedef struct Evidence {
        int pid; /* the caller: the LEADER= logind records for its request */
        int64_t since_sec; /* CLOCK_REALTIME seconds: older session files are not ours */
        char sessions_dir[CONFIG_PATH_MAX];
        char status_path[CONFIG_PATH_MAX];
        uid_t owner; /* besides root, who may own the status file */
        uint64_t max_age_usec;
} Evidence;

bool evidence_session_taken(const Evidence *e, char *buf, size_t size, char *dents, size_t dsize);
bool evidence_pid1_stopped(char *buf, size_t size);
bool evidence_status_pid1_stuck(const Evidence *e, char *buf, size_t size);
bool evidence_leader_is(const char *text, int pid);
unsigned evidence_judge(const Evidence *e, char *buf, size_t size, char *dents, size_t dsize);
