/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guardd as the watchdog of the module's wrapped calls (the watch table,
 * common/watch-file.h). Every WATCH_TICK_USEC it stamps the heartbeat and
 * looks at the slots; at a call's deadline it judges the same evidence as
 * the module's own thread (logind taking the session, PID 1 stopped or
 * stuck: wait, up to patience) and otherwise shuts down the call's new
 * sockets to the bus, /run/systemd/ or /dev/log, taken with pidfd_getfd().
 *
 * A slot is believed only once the kernel attests its process: a pidfd
 * for the pid its claim put in the slot's word, whose process started no
 * later than the claim (/proc/PID/stat) and is alive after that look. A
 * pid reused by another process names a process that started later:
 * never acted on. guardd never reads a login's memory; logins in another
 * pid namespace keep their own thread. Without CAP_SYS_PTRACE,
 * pidfd_getfd() or with Yama at 3, guardd does not publish a heartbeat:
 * the module then keeps watching with its own thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "evidence.h"
#include "status.h"
#include "watch-file.h"

#define WATCHER_CUT_MEMORY 64U

/* guardd's own view of one slot. */
typedef struct WatchLocal {
        uint64_t word; /* the armed word this is about; 0: none */
        int pid; /* the claimer's pid, from the word */
        int pidfd;
        bool verified; /* the kernel attests the slot's process is its claimer */
        bool rejected; /* it is not (or the slot is malformed): never acted on, freed */
        uint64_t seen_boot_usec; /* CLOCK_BOOTTIME when guardd first saw the claim */
        uint64_t next_usec; /* next look; 0: not yet planned */
        uint64_t recut_usec; /* the period of looks after a cut */
        uint64_t cut_ino[WATCHER_CUT_MEMORY];
        unsigned n_cut_ino;
} WatchLocal;

typedef struct Watcher {
        WatchMap map; /* file NULL: not watching (the module's threads do) */
        sd_event *event;
        sd_event_source *timer;
        bool stopping; /* SIGTERM: no new calls, the armed ones watched to their end */
        uint64_t stop_by_usec;
        const char *why_not; /* why guardd does not watch, for the status */
        Evidence evidence; /* sessions dir, status file, max age: pid and since per call */
        uint64_t cuts; /* connections cut since start */
        WatchLocal local[WATCH_SLOTS];
        char file[STATUS_MAX_SIZE + 1];
        /* getdents64() records are read in place: 8-byte aligned like them. */
        char dents[8192] __attribute__((aligned(8)));
} Watcher;

void watcher_init(Watcher *w);
int watcher_start(Watcher *w, sd_event *event, const Config *c);
void watcher_done(Watcher *w);
bool watcher_stop(Watcher *w, uint64_t now);
unsigned watcher_armed(const Watcher *w);
uint64_t watcher_tick(Watcher *w, uint64_t now);
void watcher_configure(Watcher *w, const Config *c);
void watcher_publish(Watcher *w, const Status *s, const Config *c);
