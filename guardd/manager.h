/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guardd's state and event loop. One round per interval: judge the
 * answers of the previous round's bus calls (or their missing answers),
 * sample /proc, the session directories and /dev/log, write the status,
 * then send the next round's calls. The status is written every round
 * whatever the probes are doing.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "devlog-reader.h"
#include "devlog-remedy.h"
#include "probe-bus.h"
#include "probe-devlog.h"
#include "probe-fs.h"
#include "probe-proc.h"
#include "status.h"

enum { PROC_LOGIN1, PROC_BUS, PROC_CONSOLEKIT, PROC_PID1, _PROC_MAX };

typedef struct Action {
        bool skip;
        unsigned healthy_rounds;
} Action;

typedef struct Manager {
        Config config;
        const char *config_path; /* NULL: the default lookup */
        sd_event *event;
        sd_event_source *round_timer;
        sd_event_source *mount_source;
        sd_event_source *early_source;
        sd_event_source *drain_source;
        sd_event_source *replay_source;
        BusProbe bus;
        ProcWatch procs[_PROC_MAX];
        DirCount sessions;
        DirCount scopes;
        unsigned sessions_fs_used;
        bool sessions_fs_known;
        HostStats host;
        DevlogProbe devlog;
        DevlogReader reader;
        uint64_t reader_lookup_usec;
        Census census;
        Remedy remedy;
        Action actions[2]; /* per bus service */
        bool fallbacks_base_set;
        uint64_t fallbacks_base;
        uint64_t fallbacks;
        uint64_t rounds;
        uint64_t round_cost_usec;
        uint64_t last_proc_scan_usec;
        char overall[16];
        bool ready_sent;
        /* alert_command */
        pid_t alert_pid;
        sd_event_source *alert_child;
        sd_event_source *alert_timer;
        uint64_t last_alert_usec;
        char alerted_overall[16];
} Manager;

int manager_new(const char *config_path, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_CLEANUP(Manager *, manager_free);
int manager_load_config(Manager *m);
int manager_run(Manager *m);
int manager_once(Manager *m, Status **ret);
int verdict_compose(Manager *m, uint64_t now, Status **ret);
