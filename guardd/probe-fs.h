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

typedef struct HostStats {
        uint64_t last_forks;
        uint64_t last_usec;
        uint64_t forks_per_s;
        int mountinfo_fd;
        bool mounts_changed;
        uint64_t mount_events;
        uint64_t last_mount_events;
        uint64_t mounts;
        uint64_t mount_changes_per_s;
} HostStats;

int dir_count_update(DirCount *d);
int fs_used_percent(const char *path, unsigned *ret);
int host_stats_init(HostStats *h);
void host_stats_done(HostStats *h);
void host_stats_sample(HostStats *h, uint64_t now);
int host_mounts_event(HostStats *h);
