/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The bus and the session trackers on it (login1, ConsoleKit). Every call
 * is asynchronous with its own deadline; an answer that has not come by
 * then is a verdict (stuck), never a wait. The connection itself is made
 * asynchronously and re-made with backoff after loss.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

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

/* dbus-daemon's built-in max_outgoing_bytes (bus/config-parser.c), which
 * the stock system.conf does not change. */
#define BUS_QUEUE_LIMIT_DEFAULT (UINT64_C(127) * 1024 * 1024)

typedef struct Call {
        sd_bus_slot *slot;
        uint64_t started_usec;
        bool answered;
        int error; /* 0, -ETIMEDOUT (no answer), -ENXIO (no owner), other -errno */
} Call;

typedef struct BusProbe BusProbe;

typedef struct ServiceProbe {
        BusProbe *parent;
        const char *bus_name; /* org.freedesktop.login1 */
        const char *key; /* LOGIN1 */
        Call owner, ping, pid, stats;
        char owner_name[128];
        uint64_t ping_usec;
        uint32_t owner_pid;
        bool queued_known;
        uint64_t queued_bytes;
        bool stats_refused;
        /* verdict across rounds */
        SvcState state;
        bool ping_valid;
        uint64_t last_ping_usec;
        uint64_t unanswered_since_usec;
        uint64_t prev_queued_bytes;
        uint64_t prev_queued_usec;
        int64_t queue_trend_per_s;
} ServiceProbe;

struct BusProbe {
        sd_bus *bus;
        sd_event *event;
        char address[512];
        BusState state;
        uint64_t bad_since_usec;
        uint64_t next_connect_usec;
        uint64_t backoff_usec;
        unsigned stuck_rounds;
        Call daemon_pid;
        uint32_t bus_pid;
        uint64_t timeout_usec;
        ServiceProbe services[2];
        /* Called when a call runs out of time, so that the verdict is
         * published at once rather than at the next round. */
        void (*on_timeout)(void *userdata);
        void *userdata;
};

#define BUS_SERVICE_LOGIN1 0
#define BUS_SERVICE_CONSOLEKIT 1

void bus_probe_init(BusProbe *b, sd_event *event, const char *address, uint64_t timeout_usec);
void bus_probe_done(BusProbe *b);
void bus_probe_start_round(BusProbe *b, uint64_t now);
void bus_probe_finish_round(BusProbe *b, uint64_t now, uint64_t slow_usec);
bool bus_probe_idle(const BusProbe *b);
const char *bus_state_to_string(BusState s);
const char *svc_state_to_string(SvcState s);
