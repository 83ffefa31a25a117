/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Socket inode sets. Inodes, not fd numbers, identify a socket: an fd
 * number can be closed and reused while the wrapped call runs, an inode
 * cannot change under the same open file.
 */
#include "sockset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "parse-util.h"

void sockset_done(SockSet *s) {
        free(s->ino);
        *s = (SockSet){};
}

int sockset_add(SockSet *s, ino_t ino) {
        if (sockset_contains(s, ino))
                return 0;
        if (s->n == s->allocated) {
                size_t n = s->allocated ? s->allocated * 2 : 16;
                ino_t *p = reallocarray(s->ino, n, sizeof(*p));
                if (!p)
                        return -ENOMEM;
                s->ino = p;
                s->allocated = n;
        }
        s->ino[s->n++] = ino;
        return 0;
}

bool sockset_contains(const SockSet *s, ino_t ino) {
        for (size_t i = 0; i < s->n; i++)
                if (s->ino[i] == ino)
                        return true;
        return false;
}

static int socket_inode_of(int dir_fd, const char *name, ino_t *ret) {
        char target[64];
        uint64_t v;
        ssize_t n;

        n = readlinkat(dir_fd, name, target, sizeof(target) - 1);
        if (n < 0)
                return -errno;
        target[n] = '\0';
        if (parse_socket_link(target, &v) < 0)
                return -ENOTSOCK;
        *ret = (ino_t) v;
        return 0;
}

/**
 * sockset_foreach_fd() - call @fn for every socket fd of this process.
 * @fn: callback; a negative return stops the walk
 * @userdata: passed through
 *
 * Return: 0, or the callback's or the walk's -errno.
 */
int sockset_foreach_fd(int (*fn)(int fd, ino_t ino, void *userdata), void *userdata) {
        DIR *d;
        int dir_fd, r = 0;

        dir_fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        d = fdopendir(dir_fd);
        if (!d) {
                r = -errno;
                (void) close(dir_fd);
                return r;
        }
        for (struct dirent *de; (de = readdir(d));) {
                uint64_t fd;
                ino_t ino = 0;

                if (parse_u64(de->d_name, &fd) < 0 || (int) fd == dir_fd)
                        continue;
                if (socket_inode_of(dir_fd, de->d_name, &ino) < 0)
                        continue;
                r = fn((int) fd, ino, userdata);
                if (r < 0)
                        break;
        }
        (void) closedir(d);
        return r < 0 ? r : 0;
}

static int add_one(int fd _unused_, ino_t ino, void *userdata) {
        return sockset_add(userdata, ino);
}

/**
 * sockset_snapshot() - the inodes of every socket this process has open.
 * @ret: the set; untouched on failure
 *
 * Return: 0 or -errno.
 */
int sockset_snapshot(SockSet *ret) {
        SockSet s = {};
        int r;

        r = sockset_foreach_fd(add_one, &s);
        if (r < 0) {
                sockset_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}
