/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A set of socket inodes, and a snapshot of the ones this process has open
 * (from /proc/self/fd). The guard uses it to tell the sockets the wrapped
 * module opened from the ones the program already had.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct SockSet {
        ino_t *ino;
        size_t n;
        size_t allocated;
} SockSet;

void sockset_done(SockSet *s);
int sockset_add(SockSet *s, ino_t ino);
bool sockset_contains(const SockSet *s, ino_t ino);
int sockset_snapshot(SockSet *ret);
int sockset_foreach_fd(int (*fn)(int fd, ino_t ino, void *userdata), void *userdata);
