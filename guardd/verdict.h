/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From one round's observation to the status: every key of
 * docs/interface.md §4 and the evidence behind them, the skip actions, and
 * OVERALL with a SUMMARY that names the cause before its symptoms (PID 1
 * busy behind a blocked logind is PID 1's doing, not logind's).
 *
 * verdict_compose() is a pure function of the observation, the config and
 * the action state it carries from round to round (the hysteresis).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "observation.h"
#include "status.h"

/* After this long allowed, a new skip is not counted as flapping. */
#define VERDICT_FLAP_WINDOW_USEC (60 * UINT64_C(1000000))

typedef struct Action {
        bool skip;
        unsigned healthy_rounds; /* good rounds in a row while skipping */
        uint64_t allowed_usec; /* when it last went back to allow */
        bool flapping; /* went bad again soon after allow: be slower to allow */
} Action;

typedef struct VerdictState {
        Action actions[_OBS_SERVICE_MAX];
} VerdictState;

typedef enum Culprit {
        CULPRIT_NONE,
        CULPRIT_BUS,
        CULPRIT_PID1,
        CULPRIT_LOGIN1,
        CULPRIT_BUS_QUEUE,
        CULPRIT_CONSOLEKIT,
        CULPRIT_DEVLOG,
        CULPRIT_LEAK,
        CULPRIT_HOST, /* a respawn loop, mount churn: not the login path */
        CULPRIT_GUARDD,
        CULPRIT_USER, /* one user's own units hold that user's logins */
        _CULPRIT_MAX,
} Culprit;

Pid1State verdict_pid1_state(const Observation *o);
bool verdict_pid1_idle(unsigned cpu_percent, const Config *c);
bool verdict_service_bad(const Observation *o, const Config *c, unsigned service);
void verdict_update_action(Action *a, bool bad, bool healthy, const Config *c, uint64_t now);
int verdict_compose(const Observation *o, const Config *c, VerdictState *vs, Status **ret);
const char *culprit_to_string(Culprit c);
