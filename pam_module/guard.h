/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run one wrapped PAM call under a deadline. The watchdog is guardd when
 * it is watching (watch.c: no thread, a slot in its watch table), else a
 * thread made for the call and joined before it returns. At the deadline
 * the watchdog judges: when logind has already taken the request, or PID 1
 * (which logind waits on) is stopped or stuck, a cut would leave logind
 * finishing a session for a client that is gone, so the watchdog waits, up
 * to `patience`.
 * Otherwise it shuts down (never closes) the sockets the call opened to
 * the bus, /run/systemd/ or /dev/log: the blocked sd-bus or Varlink call
 * returns at once, with an error, in the caller's own thread.
 */
#pragma once

#include <security/pam_modules.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "evidence.h"
#include "sockset.h"
#include "watch-file.h"

typedef int (*pam_sm_fn)(pam_handle_t *pamh, int flags, int argc, const char **argv);

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
        WatchFile *watch; /* guardd's watch table, NULL: our own thread watches */
        bool user; /* a user's setuid login (real uid not 0) */
        pid_t pid; /* ours, read once a call: each getpid() is a system call */
} GuardCall;

typedef struct GuardResult {
        int rc; /* what the wrapped module answered */
        uint64_t elapsed_usec;
        bool fired; /* the deadline passed while the call ran */
        unsigned n_cut; /* sockets shut down */
        unsigned waited; /* GuardWait bits: why the watchdog waited past the deadline */
        bool patience_over; /* cut although there was evidence, patience ran out */
        bool by_guardd; /* guardd watched it, not a thread of ours */
} GuardResult;

int guard_call(const GuardCall *call, GuardResult *ret);
