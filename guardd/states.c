/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names of guardd's states, as the status file and the outputs spell them. */
#include "states.h"

#include <stddef.h>

static const char *const bus_names[_BUS_STATE_MAX] = {
        [BUS_OK] = "ok",
        [BUS_STUCK] = "stuck",
        [BUS_DOWN] = "down",
};

static const char *const svc_names[_SVC_STATE_MAX] = {
        [SVC_OK] = "ok",         [SVC_SLOW] = "slow",       [SVC_STUCK] = "stuck",
        [SVC_ABSENT] = "absent", [SVC_UNKNOWN] = "unknown",
};

static const char *const devlog_names[_DEVLOG_STATE_MAX] = {
        [DEVLOG_OK] = "ok",
        [DEVLOG_FULL] = "full",
        [DEVLOG_STUCK] = "stuck",
        [DEVLOG_ABSENT] = "absent",
};

static const char *const pid1_names[_PID1_STATE_MAX] = {
        [PID1_OK] = "ok",           [PID1_BUSY] = "busy",        [PID1_STUCK] = "stuck",
        [PID1_STOPPED] = "stopped", [PID1_UNKNOWN] = "unknown",
};

const char *bus_state_to_string(BusState s) {
        return s >= 0 && s < _BUS_STATE_MAX ? bus_names[s] : NULL;
}

const char *svc_state_to_string(SvcState s) {
        return s >= 0 && s < _SVC_STATE_MAX ? svc_names[s] : NULL;
}

const char *devlog_state_to_string(DevlogState s) {
        return s >= 0 && s < _DEVLOG_STATE_MAX ? devlog_names[s] : NULL;
}

const char *pid1_state_to_string(Pid1State s) {
        return s >= 0 && s < _PID1_STATE_MAX ? pid1_names[s] : NULL;
}
