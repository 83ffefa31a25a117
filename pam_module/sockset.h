/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sockets of this process, and which of them the watchdog may cut.
 *
 * A table of (fd, socket inode), sorted by fd, taken before the wrapped
 * call: sockets in it belong to the program (sshd's client connection, a
 * threaded application's own bus connection) and are never touched. The
 * inode tells a socket from a later one that got the same fd number.
 *
 * A socket opened since is cut only when its peer is one the wrapped
 * module talks to: the system bus, a socket under /run/systemd/ (logind's
 * Varlink socket, userdb, the journal) or /dev/log. Another thread's
 * unrelated connection is never cut.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cut-filter.h"

typedef struct SockEntry {
        int fd;
        ino_t ino;
} SockEntry;

/* A large table (more than a few hundred descriptors) is kept as the set
 * of open fd numbers instead (@open): taking it then costs a few system
 * calls per hole in the table, not one per descriptor. It cannot tell a socket from a later
 * one that reused the same number; the small table of a login program can. */
typedef struct SockTable {
        SockEntry *e;
        size_t n;
        size_t allocated;
        uint64_t *open; /* bit per fd number, 0..top; NULL for the exact table */
        int top; /* highest open fd when @open is set */
        /* fds at or above were not looked at (the descriptor limit): never cut; 0: none */
        int limit;
} SockTable;

#define CUT_MEMORY_MAX 64U

/* The sockets already cut, so that a re-cut counts only new ones. */
typedef struct CutMemory {
        ino_t ino[CUT_MEMORY_MAX];
        unsigned n;
} CutMemory;

void socktable_done(SockTable *t);
int socktable_snapshot(SockTable *ret);
bool socktable_contains(const SockTable *t, int fd, ino_t ino);
unsigned sockets_cut_new(const SockTable *keep, const CutFilter *f, CutMemory *mem, char *dents,
                         size_t size);
