/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Leak and host figures: entries in logind's sessions directory and
 * session scopes in the units directory (incident 1), the fill of the
 * filesystem holding them, the fork rate (incident 4) and the mount table
 * and its churn (incident 3).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

typedef struct DirCount {
        const char *path;
        const char *prefix; /* count only names starting so; NULL = all */
        const char *infix; /* ... and containing this; NULL = any */
        bool valid;
        struct timespec mtime;
        dev_t dev;
        ino_t ino;
        uint64_t count;
} DirCount;

#define HOST_HISTORY 64U /* samples, one a round */
#define HOST_WINDOW_USEC (30 * UINT64_C(1000000)) /* what "recent" means */

typedef struct HostSample {
        uint64_t usec;
        uint64_t mounts;
        uint64_t mount_events;
        uint64_t jobs;
        bool quiet; /* PID 1 idle and no mount change over the round before it */
} HostSample;

typedef struct HostStats {
        const char *stat_path; /* /proc/stat */
        /* /proc/1/mountinfo; its own copy, as a reload does not move the watch */
        char mountinfo_path[CONFIG_PATH_MAX];
        uint64_t last_forks;
        uint64_t last_usec;
        uint64_t forks_per_s;
        int mountinfo_fd;
        bool mounts_changed;
        uint64_t mount_events;
        uint64_t last_mount_events;
        uint64_t mounts;
        uint64_t mount_changes_per_s;
        uint64_t last_jobs;
        uint64_t jobs_per_s; /* PID 1's new jobs (its JobNew signals) */
        HostSample hist[HOST_HISTORY];
        unsigned hist_n;
        unsigned hist_next;
        /* over the last HOST_WINDOW_USEC (or what history there is) */
        int64_t mounts_delta; /* now minus the window's peak (if a fall) or trough */
        uint64_t mount_changes; /* mount table change events */
        uint64_t jobs; /* PID 1 jobs */
        /* the same since PID 1 was last quiet (within the window): what PID 1
         * may still be working through, not what it has already finished */
        int64_t busy_mounts_delta;
        uint64_t busy_mount_changes;
} HostStats;

int dir_count_update(DirCount *d);
int fs_used_percent(const char *path, unsigned *ret);
int host_stats_init(HostStats *h, const char *mountinfo_path);
void host_stats_done(HostStats *h);
void host_stats_sample(HostStats *h, uint64_t now, uint64_t jobs_total, bool pid1_idle);
void host_stats_window(HostStats *h, uint64_t now);
int host_mounts_event(HostStats *h);
