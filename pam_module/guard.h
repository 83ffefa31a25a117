/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run one wrapped PAM call under a deadline. At the deadline a watchdog
 * thread shuts down (never closes) every socket the call opened, which
 * makes a blocking sd-bus or Varlink call return at once with an error in
 * the caller's own thread. The thread is created per call and always
 * joined before guard_call() returns.
 */
#pragma once

#include <security/pam_modules.h>
#include <stdbool.h>
#include <stdint.h>

#include "sockset.h"

typedef int (*pam_sm_fn)(pam_handle_t *pamh, int flags, int argc, const char **argv);

typedef struct GuardCall {
        pam_sm_fn fn;
        pam_handle_t *pamh;
        int flags;
        int argc;
        const char **argv;
        uint64_t deadline_usec;
        const SockSet *cuttable; /* pre-existing sockets the call may still cut (close_session) */
        bool collect_opened; /* fill GuardResult.opened (open_session) */
} GuardCall;

typedef struct GuardResult {
        int rc; /* what the wrapped module answered */
        uint64_t elapsed_usec;
        bool fired; /* the deadline passed while the call ran */
        unsigned n_cut; /* sockets shut down */
        SockSet opened; /* sockets new since the call started, still open at its end */
} GuardResult;

int guard_call(const GuardCall *call, GuardResult *ret);
