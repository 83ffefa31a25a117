/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AF_UNIX sockets from the kernel's socket diagnostics (NETLINK_SOCK_DIAG):
 * each socket's inode, the VFS inode of the path it is bound to, its
 * peer, its name and whether anything waits in its receive queue. This is how guardd finds the
 * socket bound at /dev/log and which socket a blocked writer is writing to.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct UnixSock {
        uint32_t ino;
        uint32_t peer; /* 0: not connected */
        uint32_t vfs_ino; /* 0: not bound to a path */
        uint32_t vfs_dev; /* kernel's new_encode_dev() */
        uint32_t rqueue; /* datagram: length of the first queued one; 0: empty */
        uint8_t type;
        bool named; /* bound to a path or an abstract name */
        char path[108];
} UnixSock;

typedef struct UnixSockTable {
        UnixSock *socks;
        size_t n;
        size_t allocated;
} UnixSockTable;

int sockdiag_dump_unix(UnixSockTable *ret);
int sockdiag_parse_batch(const char *buf, size_t n, UnixSockTable *t);
void sockdiag_table_done(UnixSockTable *t);
const UnixSock *sockdiag_find_ino(const UnixSockTable *t, uint32_t ino);
const UnixSock *sockdiag_find_vfs(const UnixSockTable *t, dev_t dev, ino_t ino);
int socket_ino_of_fd(pid_t pid, int fd, uint32_t *ret);
