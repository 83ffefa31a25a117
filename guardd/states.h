/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The states guardd's probes report and the status file carries, with
 * their names. Kept apart from the probes so that the verdict and the
 * outputs, which only read them, need nothing of the bus or the loop.
 */
#pragma once

#include <errno.h>

typedef enum BusState {
        BUS_OK,
        BUS_STUCK,
        BUS_DOWN,
        _BUS_STATE_MAX,
        _BUS_STATE_INVALID = -EINVAL,
} BusState;

typedef enum SvcState {
        SVC_OK,
        SVC_SLOW,
        SVC_STUCK,
        SVC_ABSENT,
        SVC_UNKNOWN,
        _SVC_STATE_MAX,
        _SVC_STATE_INVALID = -EINVAL,
} SvcState;

typedef enum DevlogState {
        DEVLOG_OK,
        DEVLOG_FULL,
        DEVLOG_STUCK,
        DEVLOG_ABSENT,
        _DEVLOG_STATE_MAX,
        _DEVLOG_STATE_INVALID = -EINVAL,
} DevlogState;

typedef enum PingState {
        PING_UNKNOWN, /* not tried yet, or nothing listens there */
        PING_OK,
        PING_STUCK, /* no answer within the deadline */
        _PING_STATE_MAX,
} PingState;

/* PID 1's health as the status tells it (PID1=). */
typedef enum Pid1State {
        PID1_OK,
        PID1_BUSY, /* answering, but at high CPU */
        PID1_STUCK, /* not answering on the bus or its userdb socket */
        PID1_STOPPED, /* state T */
        PID1_UNKNOWN,
        _PID1_STATE_MAX,
} Pid1State;

const char *bus_state_to_string(BusState s);
const char *svc_state_to_string(SvcState s);
const char *devlog_state_to_string(DevlogState s);
const char *pid1_state_to_string(Pid1State s);
