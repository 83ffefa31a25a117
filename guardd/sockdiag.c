/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One NETLINK_SOCK_DIAG dump of every AF_UNIX socket. The kernel answers
 * from memory, so the dump never waits on another process; a poll()
 * deadline guards it anyway.
 */
#include "sockdiag.h"

#include <assert.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "macro.h"
#include "parse-util.h"

#define DUMP_TIMEOUT_MS 1000

/* A host has a few hundred AF_UNIX sockets at least: start there, then double. */
#define UNIX_TABLE_FIRST 256U

void sockdiag_table_done(UnixSockTable *t) {
        assert(t);

        free(t->socks);
        *t = (UnixSockTable){};
}

static int unix_table_add(UnixSockTable *t, const UnixSock *s) {
        if (t->n == t->allocated) {
                size_t n = t->allocated ? t->allocated * 2 : UNIX_TABLE_FIRST;
                UnixSock *p = reallocarray(t->socks, n, sizeof(*p));
                if (!p)
                        return -ENOMEM;
                t->socks = p;
                t->allocated = n;
        }
        t->socks[t->n++] = *s;
        return 0;
}

static void parse_attrs(const struct unix_diag_msg *m, size_t len, UnixSock *s) {
        const struct rtattr *a = (const struct rtattr *) (m + 1);
        size_t left = len - NLMSG_ALIGN(sizeof(*m));

        for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
                size_t plen = RTA_PAYLOAD(a);

                if (a->rta_type == UNIX_DIAG_VFS && plen >= sizeof(struct unix_diag_vfs)) {
                        const struct unix_diag_vfs *v = RTA_DATA(a);
                        s->vfs_ino = v->udiag_vfs_ino;
                        s->vfs_dev = v->udiag_vfs_dev;
                } else if (a->rta_type == UNIX_DIAG_PEER && plen >= sizeof(uint32_t))
                        memcpy(&s->peer, RTA_DATA(a), sizeof(uint32_t));
                else if (a->rta_type == UNIX_DIAG_RQLEN && plen >= sizeof(struct unix_diag_rqlen)) {
                        const struct unix_diag_rqlen *q = RTA_DATA(a);
                        s->rqueue = q->udiag_rqueue;
                } else if (a->rta_type == UNIX_DIAG_NAME && plen > 0) {
                        s->named = true;
                        if (((const char *) RTA_DATA(a))[0])
                                (void) snprintf(s->path, sizeof(s->path), "%.*s",
                                                (int) MIN(plen, sizeof(s->path) - 1),
                                                (const char *) RTA_DATA(a));
                }
        }
}

static int send_request(int fd) {
        struct {
                struct nlmsghdr nlh;
                struct unix_diag_req r;
        } req = {
                .nlh = { .nlmsg_len = sizeof(req),
                         .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                         .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
                .r = { .sdiag_family = AF_UNIX,
                       .udiag_states = UINT32_MAX,
                       .udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER |
                                     UDIAG_SHOW_RQLEN },
        };

        return send(fd, &req, sizeof(req), 0) < 0 ? -errno : 0;
}

/**
 * sockdiag_parse_batch() - add the sockets of one netlink reply to @t. Pure
 * over @buf (tested with hand-made replies in test-sockdiag.c).
 * @buf: what recv() got
 * @n: its length
 * @t: table
 *
 * Return: 1 at NLMSG_DONE, 0 to read on, -EIO on an error reply, -ENOMEM.
 */
int sockdiag_parse_batch(const char *buf, size_t n, UnixSockTable *t) {
        assert(t);

        for (const struct nlmsghdr *h = (const struct nlmsghdr *) buf; NLMSG_OK(h, n);
             h = NLMSG_NEXT(h, n)) {
                const struct unix_diag_msg *m = NLMSG_DATA(h);
                UnixSock s = {};

                if (h->nlmsg_type == NLMSG_DONE)
                        return 1;
                if (h->nlmsg_type == NLMSG_ERROR)
                        return -EIO;
                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
                        continue;
                s.ino = m->udiag_ino;
                s.type = m->udiag_type;
                parse_attrs(m, h->nlmsg_len - NLMSG_LENGTH(0), &s);
                if (unix_table_add(t, &s) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int read_dump(int fd, UnixSockTable *t) {
        char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;
                int r;

                r = poll(&p, 1, DUMP_TIMEOUT_MS);
                if (r <= 0)
                        return r == 0 ? -ETIMEDOUT : -errno;
                n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
                r = sockdiag_parse_batch(buf, (size_t) n, t);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
}

/**
 * sockdiag_dump_unix() - every AF_UNIX socket of the host's network namespace.
 * @ret: the table; release with sockdiag_table_done()
 *
 * Return: 0 or -errno.
 */
int sockdiag_dump_unix(UnixSockTable *ret) {
        _cleanup_(sockdiag_table_done) UnixSockTable t = {};
        _cleanup_close_ int fd = -EBADF;
        int r;

        assert(ret);
        fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (fd < 0)
                return -errno;
        r = send_request(fd);
        if (r >= 0)
                r = read_dump(fd, &t);
        if (r < 0)
                return r;
        *ret = t;
        t = (UnixSockTable){}; /* the caller's now */
        return 0;
}

const UnixSock *sockdiag_find_ino(const UnixSockTable *t, uint32_t ino) {
        assert(t);

        for (size_t i = 0; i < t->n; i++)
                if (t->socks[i].ino == ino)
                        return &t->socks[i];
        return NULL;
}

/* unix_diag reports the superblock's device as the kernel keeps it
 * (MKDEV: major << 20 | minor); accept the exported new_encode_dev()
 * form too in case a kernel changes that. */
static bool same_dev(uint32_t reported, dev_t dev) {
        unsigned ma = major(dev), mi = minor(dev);

        return reported == ((ma << 20) | mi) ||
               reported == ((mi & 0xffU) | (ma << 8) | ((mi & ~0xffU) << 12));
}

const UnixSock *sockdiag_find_vfs(const UnixSockTable *t, dev_t dev, ino_t ino) {
        assert(t);

        for (size_t i = 0; i < t->n; i++)
                if (t->socks[i].vfs_ino == (uint32_t) ino && same_dev(t->socks[i].vfs_dev, dev))
                        return &t->socks[i];
        return NULL;
}

/**
 * socket_ino_of_fd() - the socket inode behind /proc/@pid/fd/@fd.
 * @pid: process
 * @fd: its descriptor
 * @ret: inode
 *
 * Return: 0, -ENOTSOCK, or -errno.
 */
int socket_ino_of_fd(pid_t pid, int fd, uint32_t *ret) {
        char path[64], target[64];
        uint64_t v;
        ssize_t n;

        assert(ret);
        (void) snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int) pid, fd);
        n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return -errno;
        target[n] = '\0';
        if (parse_socket_link(target, &v) < 0 || v > UINT32_MAX)
                return -ENOTSOCK;
        *ret = (uint32_t) v;
        return 0;
}
