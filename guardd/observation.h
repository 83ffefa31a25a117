/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One round of guardd's probes as plain data. The probes fill it, the
 * verdict (verdict.c) turns it into the status, the outputs render the
 * status: data flows one way, and every step after the probes is a pure
 * function that the unit tests feed by hand (the shape of systemd-oomd's
 * OomdSystemContext).
 */
#pragma once

#include "user-jobs.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "breaker-file.h"
#include "devlog-reader.h"
#include "states.h"

/* dbus-daemon's built-in max_outgoing_bytes (bus/config-parser.c), which
 * the stock system.conf does not change: past it, the bus refuses messages
 * for the connection ("destination has a full message queue"). */
#define BUS_QUEUE_LIMIT_DEFAULT (UINT64_C(127) * 1024 * 1024)

/* The trackers whose skip action guardd publishes. */
enum { OBS_LOGIN1, OBS_CONSOLEKIT, _OBS_SERVICE_MAX };

/* The processes guardd follows in /proc. */
enum { PROC_LOGIN1, PROC_BUS, PROC_CONSOLEKIT, PROC_PID1, _PROC_MAX };

typedef struct ServiceObs {
        SvcState state;
        bool ping_valid;
        uint64_t ping_usec; /* last good round trip */
        uint64_t unanswered_usec; /* how long it has not answered; 0 while it does */
        bool queued_known;
        uint64_t queued_bytes; /* what the bus holds for it */
        int64_t queue_trend_per_s;
        int64_t queue_growth; /* over the recent window */
} ServiceObs;

typedef struct ProcObs {
        pid_t pid; /* 0: not running, or not found */
        unsigned cpu_percent;
        uint64_t rss_bytes;
        char state; /* R, S, D, T ...; 0 when unknown */
        unsigned restarts; /* PID changes seen */
        uint64_t since_restart_usec; /* 0: never restarted */
        char comm[32]; /* raw, from /proc: sanitized when written */
} ProcObs;

typedef struct Pid1Obs {
        SvcState bus; /* org.freedesktop.systemd1 Peer.Ping */
        uint64_t bus_ping_usec;
        uint64_t bus_unanswered_usec;
        PingState userdb; /* its io.systemd.DynamicUser Varlink socket */
        uint64_t userdb_usec;
        uint64_t userdb_unanswered_usec;
        uint64_t jobs_per_s; /* JobNew signals */
        uint64_t jobs_window;
} Pid1Obs;

typedef struct HostObs {
        uint64_t forks_per_s;
        uint64_t mounts;
        uint64_t mount_changes_per_s;
        uint64_t mount_changes_window;
        int64_t mounts_delta_window;
        /* the same since PID 1 was last idle with the mount table quiet:
         * what it may still be working through */
        uint64_t busy_mount_changes;
        int64_t busy_mounts_delta;
        bool sessions_valid;
        uint64_t sessions;
        bool scopes_valid;
        uint64_t scopes;
        bool fs_known;
        unsigned fs_used_percent;
} HostObs;

typedef struct RemedyObs {
        char last[16];
        char result[256];
        uint64_t spooled;
        uint64_t replayed;
        uint64_t pending_bytes;
        uint64_t lost; /* messages the drain could not keep */
} RemedyObs;

typedef struct DevlogObs {
        DevlogState state;
        uint64_t full_usec; /* how long the queue has been full; 0 while writable */
        char path[512];
        pid_t reader_pid;
        char reader_comm[32];
        char reader_state;
        char reader_unit[128];
        Census census;
        RemedyObs remedy;
} DevlogObs;

/* The host breaker files' counters, summed over the wrapped modules. */
typedef struct FallbackCounts {
        uint64_t all; /* skipped + cut */
        uint64_t skipped;
        uint64_t cut;
} FallbackCounts;

typedef struct BreakerObs {
        bool known; /* a file of this boot exists */
        BreakerState state;
} BreakerObs;

/* guardd as the watchdog of wrapped calls (watcher.h). */
typedef struct WatchObs {
        bool watching;
        char why_not[48]; /* when not watching */
        unsigned armed; /* calls watched now */
        uint64_t calls; /* calls handed to guardd this boot */
        uint64_t cuts; /* connections guardd cut since it started */
} WatchObs;

typedef struct Observation {
        /* PID 1's start jobs for single users' units, oldest first */
        UserJobObs user_jobs[USER_JOBS_MAX];
        unsigned n_user_jobs;
        bool user_jobs_known;
        uint64_t now; /* CLOCK_MONOTONIC usec */
        uint64_t realtime_usec;
        BusState bus;
        uint64_t bus_bad_usec; /* how long the bus has been stuck or down */
        char bus_address[512];
        ServiceObs services[_OBS_SERVICE_MAX];
        ProcObs procs[_PROC_MAX];
        Pid1Obs pid1;
        HostObs host;
        DevlogObs devlog;
        BreakerObs breakers[_OBS_SERVICE_MAX];
        uint64_t fallbacks; /* logins that skipped or cut since guardd started */
        uint64_t fallbacks_skipped; /* ... of them, skipped (verdict or breaker) */
        uint64_t fallbacks_cut; /* ... of them, cut at the deadline or after patience */
        unsigned user_breakers_open; /* users whose own breaker is open or half-open */
        WatchObs watch;
        /* guardd itself */
        pid_t guardd_pid;
        uint64_t interval_usec;
        uint64_t rounds;
        uint64_t round_usec;
        uint64_t late_calls; /* probe calls left unjudged: guardd was late */
        uint64_t log_dropped;
        uint64_t notify_dropped;
} Observation;
