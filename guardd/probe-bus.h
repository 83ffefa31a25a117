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

#include "states.h"


#define QUEUE_HISTORY 64U
#define USER_JOBS_MAX 32U

/* A start job of PID 1's for a unit one user's logins wait on: user@UID,
 * user-runtime-dir@UID, session-ID.scope. PID 1's job list carries no
 * times: the age counts from the first round guardd saw the job. */
typedef struct UserJob {
        uint32_t id;
        char unit[96];
        uint64_t first_seen_usec;
} UserJob;
#define QUEUE_WINDOW_USEC (30 * UINT64_C(1000000))

typedef struct Call {
        sd_bus_slot *slot;
        uint64_t started_usec;
        uint64_t lost_at_start; /* own_lost_usec() when it went out */
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
        /* the queue over the recent window: 0 -> 12 MB in 30 s is news */
        uint64_t queue_hist_usec[QUEUE_HISTORY];
        uint64_t queue_hist_bytes[QUEUE_HISTORY];
        unsigned queue_hist_n;
        unsigned queue_hist_next;
        int64_t queue_growth;
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
        /* What the last connection attempt showed: refused (nobody listens:
         * down), or accepted; and whether that connection ever became
         * ready. A daemon that accepts and never authenticates is stuck,
         * not down. */
        bool connect_refused;
        bool ready_seen;
        Call daemon_pid;
        uint32_t bus_pid;
        uint64_t timeout_usec;
        ServiceProbe services[3];
        sd_bus_slot *job_match; /* PID 1's JobNew signals, counted */
        Call list_jobs; /* PID 1's ListJobs, once a round */
        UserJob user_jobs[USER_JOBS_MAX];
        unsigned n_user_jobs;
        bool user_jobs_known; /* the last ListJobs answered */
        uint64_t jobs; /* JobNew signals seen since start */
        /* Calls whose deadline passed while guardd itself was late: not
         * judged, sent again (own-time.h). */
        uint64_t late_calls;
        uint64_t lost_now; /* own_lost_usec() at this round's start/finish */
        /* Called when a call runs out of time, so that the verdict is
         * published at once rather than at the next round. */
        void (*on_timeout)(void *userdata);
        void *userdata;
};

#define BUS_SERVICE_LOGIN1 0
#define BUS_SERVICE_CONSOLEKIT 1
#define BUS_SERVICE_SYSTEMD1 2 /* PID 1 on the bus */

void bus_probe_init(BusProbe *b, sd_event *event, const char *address, uint64_t timeout_usec);
void bus_probe_done(BusProbe *b);
void bus_probe_start_round(BusProbe *b, uint64_t now);
void bus_probe_finish_round(BusProbe *b, uint64_t now, uint64_t slow_usec);
bool bus_probe_idle(const BusProbe *b);
bool user_job_unit(const char *unit);
int64_t queue_growth_over(const uint64_t *usec, const uint64_t *bytes, unsigned n, unsigned next,
                          uint64_t now, uint64_t window);
SvcState service_judge(BusState bus, const ServiceProbe *s, uint64_t now, uint64_t lost_now,
                       uint64_t timeout_usec, uint64_t slow_usec);
