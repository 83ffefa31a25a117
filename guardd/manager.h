/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guardd's event loop and its wiring, nothing else. Each round: judge the
 * answers of the previous round's calls (or their missing answers), sample
 * /proc, the session directories and /dev/log, gather everything into an
 * Observation, let the verdict compose the status, publish it, then send
 * the next round's calls. The status is written every round whatever the
 * probes are doing.
 *
 * manager_new() allocates and reads the config, and changes nothing;
 * manager_start() acts (temporary files swept, a pending spool resumed,
 * signals and timers armed), and only the daemon calls it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "alert.h"
#include "config.h"
#include "devlog-reader.h"
#include "devlog-remedy.h"
#include "notify.h"
#include "observation.h"
#include "probe-bus.h"
#include "probe-devlog.h"
#include "probe-fs.h"
#include "probe-proc.h"
#include "probe-varlink.h"
#include "status.h"
#include "verdict.h"
#include "watcher.h"

typedef struct Manager {
        Config config;
        char metrics_path[CONFIG_PATH_MAX]; /* config's, with "auto" resolved; "": off */
        const char *config_path; /* NULL: the default lookup */
        sd_event *event;
        sd_event_source *round_timer;
        sd_event_source *mount_source;
        sd_event_source *early_source;
        /* probes */
        BusProbe bus;
        VarlinkPing userdb;
        ProcWatch procs[_PROC_MAX];
        DirCount sessions;
        DirCount scopes;
        HostStats host;
        DevlogProbe devlog;
        DevlogReader reader;
        uint64_t reader_lookup_usec;
        Census census;
        uint64_t last_proc_scan_usec;
        /* actions */
        Remedy remedy;
        Alerter alerter;
        Notifier notifier;
        VerdictState verdict;
        Watcher watcher;
        /* bookkeeping */
        bool fallbacks_base_set;
        uint64_t user_scan_usec; /* the last count of users' open breakers */
        unsigned user_breakers_open;
        FallbackCounts fallbacks_base;
        Observation obs;
        uint64_t rounds;
        uint64_t round_cost_usec;
        char overall[16];
        bool ready_sent;
} Manager;

int manager_new(const char *config_path, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_CLEANUP(Manager *, manager_free);
int manager_load_config(const char *path, Config *ret);
int manager_start(Manager *m);
int manager_run(Manager *m);
int manager_once(Manager *m, Status **ret);
