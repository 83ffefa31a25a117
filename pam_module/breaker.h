/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The circuit breaker, one per wrapped module, shared by every login on
 * the host through its breaker file (common/breaker-file.h). Every change
 * is one compare-and-swap or one atomic increment on the mapped record: no
 * lock, so nothing a login is frozen in can hold the breaker still.
 *
 * Only logins run by root (real and effective uid 0: sshd, cron, login, su
 * by root) write it. A setuid su or sudo started by a user runs as root on
 * that user's behalf, and the user decides its timing (SIGSTOP, a slow
 * terminal): it may read the breaker and skip, but never records an
 * outcome, never claims the trial and never creates the file.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "breaker-file.h"

#define BREAKER_COOLDOWN_MAX_USEC (600U * UINT64_C(1000000))
#define BREAKER_LEVEL_MAX 15U

typedef struct BreakerParams {
        unsigned trip; /* cut calls within window that open it */
        uint64_t window_usec;
        uint64_t cooldown_usec; /* first cooldown; doubled after each failed trial */
        uint64_t trial_timeout_usec; /* a trial not reported by then is given to another login */
} BreakerParams;

typedef enum BreakerVerdict {
        BREAKER_CALL, /* closed: call the wrapped module */
        BREAKER_TRIAL, /* open, cooldown over: this caller holds the one trial */
        BREAKER_SKIP, /* open: do not call */
        BREAKER_TRIAL_DUE, /* (pure verdict only) a trial may be claimed now */
} BreakerVerdict;

typedef enum CallOutcome {
        OUTCOME_OK, /* answered within the deadline */
        OUTCOME_LATE, /* answered after the deadline, uncut: logind was completing it */
        OUTCOME_CUT, /* cut: logind, the bus or PID 1 was stuck */
        OUTCOME_SKIPPED, /* not called (status, PID 1 stopped, breaker) */
} CallOutcome;

typedef struct Breaker {
        int dir_fd; /* -EBADF: no breaker (state directory unusable) */
        bool exists; /* the last decision found a record (no file: closed, never cut) */
        char name[96];
        uid_t owner; /* besides root, who may own the files (tests run as users) */
        bool privileged; /* may write: real and effective uid 0 */
        BreakerMap map; /* mapped on the first write */
        uint64_t trial_word; /* the state word this caller's trial claimed, 0 when none */
        int error; /* why the file was ignored (-EPERM, -EBADMSG), 0 */
} Breaker;

int breaker_open(Breaker *b, const char *state_dir, const char *target, bool privileged,
                 uid_t owner);
int breaker_open_user(Breaker *b, const Breaker *host, const char *target, const char *user,
                      bool create);
void breaker_count(Breaker *b, CallOutcome outcome, uint64_t now);
bool breaker_trip(Breaker *b, uint64_t now);
unsigned breaker_users_stuck(const Breaker *user, const char *target, const BreakerParams *p,
                             uint64_t now, unsigned enough);
void breaker_close(Breaker *b);
BreakerVerdict breaker_decide(Breaker *b, const BreakerParams *p, uint64_t now);
void breaker_record(Breaker *b, const BreakerParams *p, uint64_t now, CallOutcome outcome);

/* The pure parts, for the unit tests. */
uint64_t breaker_cooldown(const BreakerParams *p, unsigned level);
BreakerVerdict breaker_verdict_for(uint64_t word, const BreakerParams *p, uint64_t now);
unsigned breaker_bad_within(const BreakerRecord *r, uint64_t word, const BreakerParams *p,
                            uint64_t now);
