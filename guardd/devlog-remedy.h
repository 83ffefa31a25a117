/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Remedies for a stuck /dev/log reader, tried in the order devlog_remedy
 * lists them, one per round, each logged and rate-limited:
 *   resume  - SIGCONT when the reader is stopped (state T);
 *   restart - ask systemd to restart the reader's unit (bounded, once per cooldown);
 *   drain   - take the reader's socket (pidfd_getfd) and read its queue
 *             into a spool file so blocked writers wake; once the reader
 *             reads again, replay the spool into /dev/log, paced and
 *             non-blocking, recording progress so that a guardd restart
 *             resumes where it stopped.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "devlog-reader.h"
#include "probe-devlog.h"

#define REMEDY_COOLDOWN_USEC (60 * UINT64_C(1000000))
#define SPOOL_MAX_BYTES (UINT64_C(64) * 1024 * 1024)

typedef struct Remedy {
        char last[16];
        char result[256];
        uint64_t last_resume_usec;
        uint64_t last_restart_usec;
        pid_t restart_pid;
        uint64_t restart_started_usec;
        /* drain */
        bool draining;
        int sock_fd; /* our copy of the reader's socket */
        uint32_t sock_ino;
        int spool_fd;
        char spool_path[600];
        uint64_t spooled; /* messages taken this episode */
        uint64_t spool_bytes;
        uint64_t dropped; /* over SPOOL_MAX_BYTES */
        unsigned reading_rounds; /* rounds the reader has been reading again */
        bool unsynced; /* spooled since the last fsync */
        /* replay */
        bool replaying;
        int replay_fd;
        int progress_fd;
        uint64_t replay_off;
        uint64_t replay_size;
        uint64_t replayed;
        int out_fd; /* connected to devlog_path while replaying */
        uint64_t budget; /* messages this round may still send */
        /* Called before sock_fd or out_fd is closed, so that the event loop
         * drops its watch first: the drained socket's file stays open in
         * the reader, and an epoll registration would outlive close(). */
        void (*fd_closing)(int fd, void *userdata);
        void *userdata;
} Remedy;

void remedy_init(Remedy *r);
void remedy_done(Remedy *r);
void remedy_round(Remedy *r, const Config *c, const DevlogProbe *p, DevlogReader *reader,
                  uint64_t now);
int remedy_resume_spool(Remedy *r, const Config *c);
int remedy_drain_fd(const Remedy *r);
int remedy_replay_fd(const Remedy *r);
void remedy_replay_event(Remedy *r);
void remedy_drain_event(Remedy *r);
