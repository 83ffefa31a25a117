/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Process figures from /proc only (never ptrace, never the bus): CPU over
 * the last interval, RSS, scheduler state and restarts (PID changes) of
 * logind, the bus daemon, console-kit-daemon and PID 1.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct ProcWatch {
        const char *key; /* status key prefix: LOGIN1, BUS, CONSOLEKIT, PID1 */
        const char *const *comms; /* comm names to look for when no PID is known */
        pid_t pid;
        pid_t last_pid;
        unsigned restarts;
        uint64_t last_restart_usec;
        uint64_t last_ticks;
        uint64_t last_sample_usec;
        unsigned cpu_percent;
        uint64_t rss_bytes;
        char state; /* R, S, D, T, Z ...; 0 when not running */
        char comm[32];
} ProcWatch;

typedef struct ProcStat {
        char state;
        char comm[32];
        uint64_t ticks; /* utime + stime */
        uint64_t rss_pages;
        uint64_t start_ticks; /* when it started, clock ticks after boot (CLOCK_BOOTTIME) */
} ProcStat;

#define PROC_ROOT "/proc"

int proc_parse_stat(const char *text, ProcStat *ret);
int proc_read_stat_at(const char *proc_root, pid_t pid, ProcStat *ret);
int proc_read_stat(pid_t pid, ProcStat *ret);
void proc_watch_set_pid(ProcWatch *w, pid_t pid, uint64_t now);
void proc_watch_sample(ProcWatch *w, uint64_t now);
pid_t proc_find_by_comm_at(const char *proc_root, const char *const *comms);
pid_t proc_find_by_comm(const char *const *comms);
