/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The circuit breaker, one per wrapped target, shared by every process on
 * the host through a small KEY=VALUE file in state_dir. Readers never lock;
 * writers take a non-blocking lock and skip the update when it is busy, so
 * a login never waits for another login's bookkeeping.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

#define BREAKER_BAD_MAX 64U
#define BREAKER_COOLDOWN_MAX_USEC (600U * 1000000ULL)

typedef enum BreakerState {
        BREAKER_CLOSED,
        BREAKER_OPEN,
        BREAKER_HALF_OPEN,
        _BREAKER_STATE_MAX,
        _BREAKER_STATE_INVALID = -EINVAL,
} BreakerState;

/* A closed breaker updated this recently is not rewritten for a healthy call. */
#define BREAKER_QUIET_USEC (1000U * 1000ULL)

typedef enum BreakerVerdict {
        BREAKER_CALL, /* closed: call the wrapped module */
        BREAKER_CALL_QUIET, /* closed and recently updated: call, record only a bad outcome */
        BREAKER_TRIAL, /* this caller holds the one half-open trial */
        BREAKER_SKIP, /* open: do not call */
} BreakerVerdict;

typedef enum CallOutcome {
        OUTCOME_OK,
        OUTCOME_SLOW,
        OUTCOME_CUT,
        OUTCOME_SKIPPED,
} CallOutcome;

typedef struct Breaker {
        BreakerState state;
        uint64_t opened_usec;
        uint64_t cooldown_usec;
        uint64_t trial_usec;
        uint64_t trial_pid;
        uint64_t bad[BREAKER_BAD_MAX];
        unsigned n_bad;
        uint64_t calls, skips, cuts, slow, fallbacks, last_usec;
        uint64_t updated_usec;
} Breaker;

typedef struct BreakerFile {
        int dir_fd;
        char name[96];
        char lock_name[112];
} BreakerFile;

int breaker_file_open(const char *state_dir, const char *target, BreakerFile *ret);
void breaker_file_close(BreakerFile *f);
int breaker_load(const BreakerFile *f, Breaker *ret);
int breaker_decide(const BreakerFile *f, const Config *c, uint64_t now, BreakerVerdict *ret);
int breaker_record(const BreakerFile *f, const Config *c, uint64_t now, CallOutcome outcome,
                   uint64_t elapsed_usec, bool trial);
const char *breaker_state_to_string(BreakerState s);
int breaker_parse(const char *text, size_t len, Breaker *ret);
int breaker_format(const Breaker *b, uint64_t now, char **ret, size_t *ret_len);
