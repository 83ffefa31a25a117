/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The drain's spool: one append-only file in spool_dir ("devlog.spool"),
 * "LGSPOOL2\n" then records of {length, pid, uid, gid} and the datagram,
 * and a progress file holding the offset replayed so far. A record is
 * written before its message is taken from the reader's queue, and the
 * spool is removed only once every record was replayed: a full disk stops
 * the drain, it never loses a message. A torn last record (guardd killed
 * mid-write) is cut off when the spool is opened again; its message was
 * never taken, so it is still in the reader's queue.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPOOL_NAME "devlog.spool"
#define SPOOL_MAGIC "LGSPOOL2\n"
#define SPOOL_MAGIC_LEN 9U
#define SPOOL_MAX_BYTES (UINT64_C(64) * 1024 * 1024)
#define SPOOL_MSG_MAX 65536U

typedef struct SpoolCred {
        uint32_t pid; /* 0: unknown */
        uint32_t uid;
        uint32_t gid;
} SpoolCred;

typedef struct Spool {
        char path[600];
        int fd;
        int progress_fd;
        uint64_t size; /* end of the last complete record */
        uint64_t replay_off; /* next record to replay */
        uint64_t records; /* complete records appended since it was opened */
} Spool;

void spool_init(Spool *s);
int spool_open(Spool *s, const char *dir, bool create);
void spool_close(Spool *s);
int spool_append(Spool *s, const SpoolCred *cred, const void *data, size_t len);
int spool_truncate(Spool *s, uint64_t size);
int spool_read(const Spool *s, uint64_t off, SpoolCred *cred, char buf[static SPOOL_MSG_MAX],
               size_t *ret_len, uint64_t *ret_next);
int spool_advance(Spool *s, uint64_t off);
bool spool_pending(const Spool *s);
int spool_remove_if_done(Spool *s);
int spool_sync(Spool *s);
