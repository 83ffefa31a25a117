/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Remedies for a stuck /dev/log reader, tried in the order devlog_remedy
 * lists them (default "resume,drain"), one per round, each logged and
 * rate-limited:
 *   resume  - SIGCONT when the reader is stopped (state T);
 *   restart - ask systemd to restart the reader's unit (bounded, once per cooldown);
 *   drain   - take the reader's socket (pidfd_getfd) and move its queue
 *             into the spool (devlog-spool.h) so blocked writers wake; once
 *             the reader reads again, replay the spool into /dev/log, paced,
 *             non-blocking, each message with its writer's credentials.
 *
 * Whether the reader reads again is judged without guardd's own draining
 * in the picture: every few rounds the drain pauses for one round and
 * sends one marker message of its own; only a marker the reader took by
 * itself counts (SIOCOUTQ of the sending socket drops to 0). Markers the
 * drain meets itself are dropped, never spooled. Should the reader stall
 * again while a replay is pending, the drain resumes, appending to the same
 * spool. The remedy owns its event sources (the drained socket, the replay
 * socket).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "devlog-reader.h"
#include "devlog-spool.h"
#include "observation.h"
#include "probe-devlog.h"

#define REMEDY_COOLDOWN_USEC (60 * UINT64_C(1000000))
#define REMEDY_CHECK_EVERY 3U /* rounds of draining between "does it read?" pauses */

typedef struct Remedy {
        sd_event *event; /* NULL: remedies off (guardd --once) */
        char devlog_path[512];
        char last[16];
        char result[256];
        uint64_t last_resume_usec;
        uint64_t last_restart_usec;
        pid_t restart_pid;
        uint64_t restart_started_usec;
        /* drain */
        bool draining;
        bool checking; /* this round the drain pauses: does the reader read? */
        unsigned rounds_since_check;
        int check_fd; /* connected to devlog_path: sends the marker */
        bool marker_sent;
        bool spool_full; /* the spool refused a record: taking nothing more */
        int sock_fd; /* our descriptor of the reader's socket */
        uint32_t sock_ino;
        sd_event_source *drain_source;
        Spool spool;
        uint64_t spooled; /* messages taken this episode */
        uint64_t lost; /* messages taken but not kept (counted, never silent) */
        bool unsynced;
        /* replay */
        bool replaying;
        int out_fd; /* connected to devlog_path */
        sd_event_source *replay_source;
        uint64_t budget; /* messages this round may still send */
        uint64_t replayed;
        uint64_t replayed_own_pid; /* sent with guardd's pid: the writer was gone */
        bool creds_refused; /* the kernel refused the writers' uid/gid: not replaying */
} Remedy;

void remedy_init(Remedy *r);
void remedy_done(Remedy *r);
int remedy_start(Remedy *r, sd_event *event, const Config *c);
void remedy_round(Remedy *r, const Config *c, const DevlogProbe *p, DevlogReader *reader,
                  uint64_t now);
void remedy_observe(const Remedy *r, RemedyObs *ret);
