/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run one wrapped PAM call under a deadline. A watchdog thread, made for
 * the call and joined before it returns, wakes at the deadline and judges:
 * when logind has already taken the request, or PID 1 (which logind waits
 * on) is stopped or stuck, a cut would leave logind finishing a session
 * for a client that is gone, so the watchdog waits, up to `patience`.
 * Otherwise it shuts down (never closes) the sockets the call opened to
 * the bus, /run/systemd/ or /dev/log: the blocked sd-bus or Varlink call
 * returns at once, with an error, in the caller's own thread.
 */
#pragma once

#include <security/pam_modules.h>
#include <stdbool.h>
#include <stdint.h>

#include "evidence.h"
#include "sockset.h"

typedef int (*pam_sm_fn)(pam_handle_t *pamh, int flags, int argc, const char **argv);

typedef enum GuardWait {
        GUARD_WAIT_TAKEN = 1U << 0, /* logind had taken the request */
        GUARD_WAIT_PID1 = 1U << 1, /* PID 1 was stopped or stuck */
} GuardWait;

typedef struct GuardCall {
        pam_sm_fn fn;
        pam_handle_t *pamh;
        int flags;
        int argc;
        const char **argv;
        uint64_t deadline_usec;
        uint64_t patience_usec; /* longest wait past the deadline on evidence */
        const SockTable *keep; /* sockets never cut */
        const CutFilter *filter; /* peers that may be cut */
        const Evidence *evidence; /* NULL: cut at the deadline, no questions (close_session) */
} GuardCall;

typedef struct GuardResult {
        int rc; /* what the wrapped module answered */
        uint64_t elapsed_usec;
        bool fired; /* the deadline passed while the call ran */
        unsigned n_cut; /* sockets shut down */
        unsigned waited; /* GuardWait bits: why the watchdog waited past the deadline */
        bool patience_over; /* cut although there was evidence, patience ran out */
} GuardResult;

int guard_call(const GuardCall *call, GuardResult *ret);
