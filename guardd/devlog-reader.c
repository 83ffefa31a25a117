/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Finding the /dev/log reader walks every process's fds, and the census
 * every task's wchan; both run only when needed (the reader is cached and
 * re-resolved when it dies or the path changes; the census runs only
 * while /dev/log is not ok). Only /proc/PID/{fd,stat,cgroup} and
 * /proc/PID/task/TID/{wchan,syscall} are read, none of which waits on
 * the process.
 */
#include "devlog-reader.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "io-util.h"
#include "macro.h"
#include "parse-util.h"
#include "probe-proc.h"
#include "sockdiag.h"

typedef struct Holder {
        pid_t pid;
        int fd;
} Holder;

/* The first fd of @pid that is socket @ino, or -1. */
static int fd_of_socket(pid_t pid, uint32_t ino) {
        char path[64];
        _cleanup_closedir_ DIR *d = NULL;
        int found = -1;

        (void) snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
        d = opendir(path);
        if (!d)
                return -1;
        for (struct dirent *de; found < 0 && (de = readdir(d));) {
                uint64_t fd;
                uint32_t i;

                if (parse_u64(de->d_name, &fd) == 0 && fd <= INT32_MAX &&
                    socket_ino_of_fd(pid, (int) fd, &i) == 0 && i == ino)
                        found = (int) fd;
        }
        return found;
}

/* The process holding socket @ino, preferring one other than PID 1. */
static Holder find_holder(uint32_t ino) {
        Holder h = {}, init = {};
        _cleanup_closedir_ DIR *d = opendir("/proc");

        if (!d)
                return h;
        for (struct dirent *de; !h.pid && (de = readdir(d));) {
                uint64_t pid;
                int fd;

                if (parse_u64(de->d_name, &pid) < 0 || pid > INT32_MAX)
                        continue;
                fd = fd_of_socket((pid_t) pid, ino);
                if (fd < 0)
                        continue;
                if (pid == 1)
                        init = (Holder){ 1, fd };
                else
                        h = (Holder){ (pid_t) pid, fd };
        }
        return h.pid ? h : init;
}

static void read_unit(pid_t pid, char *buf, size_t size) {
        char path[64], line[512];
        _cleanup_fclose_ FILE *f = NULL;

        buf[0] = '\0';
        (void) snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                char *slash = strrchr(line, '/');
                if (!slash)
                        continue;
                slash[strcspn(slash, "\n")] = '\0';
                if (strstr(slash, ".service") || strstr(slash, ".scope"))
                        (void) snprintf(buf, size, "%s", slash + 1);
        }
}

static void refresh_proc(DevlogReader *r) {
        ProcStat s;

        if (proc_read_stat(r->pid, &s) < 0) {
                r->state = 0;
                return;
        }
        r->state = s.state;
        memcpy(r->comm, s.comm, sizeof(r->comm));
}

/**
 * devlog_reader_find() - who holds the socket bound at @path.
 * @path: socket path
 * @ret: reader (pid 0 when nobody could be found)
 *
 * Return: 0, -ENOENT (nothing bound there), or -errno.
 */
int devlog_reader_find(const char *path, DevlogReader *ret) {
        UnixSockTable t = {};
        const UnixSock *s;
        DevlogReader r = {};
        struct stat st;
        Holder h;
        int e;

        assert(ret);
        if (stat(path, &st) < 0)
                return -errno;
        e = sockdiag_dump_unix(&t);
        if (e < 0)
                return e;
        s = sockdiag_find_vfs(&t, st.st_dev, st.st_ino);
        r.sock_ino = s ? s->ino : 0;
        sockdiag_table_done(&t);
        if (!r.sock_ino)
                return -ENOENT;
        h = find_holder(r.sock_ino);
        r.pid = h.pid;
        r.fd = h.fd;
        r.path_dev = st.st_dev;
        r.path_ino = st.st_ino;
        if (r.pid > 0) {
                refresh_proc(&r);
                read_unit(r.pid, r.unit, sizeof(r.unit));
        }
        *ret = r;
        return 0;
}

/**
 * devlog_reader_alive() - refresh the reader's state; false when it is gone.
 * @r: reader
 *
 * Return: whether the process still holds the socket.
 */
bool devlog_reader_alive(DevlogReader *r) {
        uint32_t ino;

        assert(r);
        if (r->pid <= 0 || socket_ino_of_fd(r->pid, r->fd, &ino) < 0 || ino != r->sock_ino)
                return false;
        refresh_proc(r);
        return r->state != 0;
}

/* What a blocked task passes to its system call, from
 * /proc/PID/task/TID/syscall: "NR 0xARG0 0xARG1 ... 0xARG5 SP PC". */
typedef struct BlockedCall {
        long nr;
        unsigned long args[6];
} BlockedCall;

static bool blocked_call(const char *task_dir, BlockedCall *ret) {
        char path[400], buf[256], *p = buf, *end;

        (void) snprintf(path, sizeof(path), "%s/syscall", task_dir);
        if (!read_small_file(path, buf, sizeof(buf)))
                return false;
        errno = 0;
        ret->nr = strtol(p, &end, 10);
        if (errno != 0 || end == p)
                return false;
        for (int i = 0; i < 6; i++) {
                p = end;
                ret->args[i] = strtoul(p, &end, 16);
                if (end == p)
                        return false;
        }
        return ret->args[0] <= INT32_MAX;
}

static void tally_n(CensusEntry *list, unsigned *n, const char *name, unsigned count) {
        unsigned i;

        for (i = 0; i < *n; i++)
                if (strcmp(list[i].name, name) == 0) {
                        list[i].count += count;
                        break;
                }
        if (i == *n && *n < CENSUS_TOP) {
                (void) snprintf(list[i].name, sizeof(list[i].name), "%s", name);
                list[i].count = count;
                list[i].reader = 0;
                (*n)++;
        }
        /* Keep the biggest first: one bubble step is enough per increment. */
        while (i > 0 && i < *n && list[i].count > list[i - 1].count) {
                CensusEntry tmp = list[i - 1];
                list[i - 1] = list[i];
                list[i] = tmp;
                i--;
        }
}

static void tally(CensusEntry *list, unsigned *n, const char *name) {
        tally_n(list, n, name, 1);
}

static void count_task(const DevlogReader *r, const UnixSockTable *t, pid_t pid,
                       const char *task_dir, Census *c) {
        char path[400], buf[64];
        const UnixSock *s, *peer;
        BlockedCall call;
        ProcStat ps;
        uint32_t ino;

        (void) snprintf(path, sizeof(path), "%s/wchan", task_dir);
        if (!read_small_file(path, buf, sizeof(buf)) || strcmp(buf, "unix_wait_for_peer") != 0)
                return;
        if (!blocked_call(task_dir, &call) || socket_ino_of_fd(pid, (int) call.args[0], &ino) < 0)
                return;
        s = sockdiag_find_ino(t, ino);
        if (!s)
                return;
        if (!s->peer) {
                /* sendto()/sendmsg() with an address: where to is in the
                 * writer's memory, which guardd never reads. Decided below. */
                c->unconnected++;
                if (proc_read_stat(pid, &ps) == 0)
                        tally(c->unconnected_writers, &c->n_unconnected_writers, ps.comm);
                return;
        }
        if (s->peer == r->sock_ino) {
                c->blocked++;
                if (proc_read_stat(pid, &ps) == 0)
                        tally(c->writers, &c->n_writers, ps.comm);
                return;
        }
        peer = sockdiag_find_ino(t, s->peer);
        tally(c->others, &c->n_others, peer && *peer->path ? peer->path : "(unnamed socket)");
}

/* A writer blocks in unix_wait_for_peer only on a datagram socket whose
 * receive queue is full. So when the reader's socket has datagrams queued
 * and no other named datagram socket has any, the reader's is the only
 * place the unconnected writers can be waiting on: that is the kernel's
 * word, not the writers'. Otherwise they are listed apart. */
static bool only_full_candidate(const DevlogReader *r, const UnixSockTable *t) {
        const UnixSock *reader = sockdiag_find_ino(t, r->sock_ino);

        if (!reader || reader->rqueue == 0)
                return false;
        for (size_t i = 0; i < t->n; i++) {
                const UnixSock *s = &t->socks[i];

                if (s->ino != r->sock_ino && s->named && s->type == SOCK_DGRAM && s->rqueue > 0)
                        return false;
        }
        return true;
}

static void attribute_unconnected(const DevlogReader *r, const UnixSockTable *t, Census *c) {
        if (c->unconnected == 0)
                return;
        if (!only_full_candidate(r, t)) {
                tally_n(c->others, &c->n_others, UNCONNECTED_UNKNOWN, c->unconnected);
                return;
        }
        c->blocked += c->unconnected;
        for (unsigned i = 0; i < c->n_unconnected_writers; i++)
                tally_n(c->writers, &c->n_writers, c->unconnected_writers[i].name,
                        c->unconnected_writers[i].count);
}

static void scan_tasks(const DevlogReader *r, const UnixSockTable *t, pid_t pid, Census *c) {
        char dir[64], task_dir[340];
        _cleanup_closedir_ DIR *d = NULL;

        (void) snprintf(dir, sizeof(dir), "/proc/%d/task", (int) pid);
        d = opendir(dir);
        if (!d)
                return;
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                (void) snprintf(task_dir, sizeof(task_dir), "%s/%s", dir, de->d_name);
                count_task(r, t, pid, task_dir, c);
        }
}

/**
 * devlog_census() - count tasks blocked writing to the reader's socket,
 * by command, and to other sockets.
 * @r: the /dev/log reader (its socket inode)
 * @ret: the census
 *
 * Return: 0 or -errno.
 */
int devlog_census(const DevlogReader *r, Census *ret) {
        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
        _cleanup_(sockdiag_table_done) UnixSockTable t = {};
        _cleanup_closedir_ DIR *d = NULL;
        Census c = {};
        int e;

        assert(r);
        assert(ret);
        e = sockdiag_dump_unix(&t);
        if (e < 0)
                return e;
        d = opendir("/proc");
        if (!d)
                return -errno;
        for (struct dirent *de; (de = readdir(d));) {
                uint64_t pid;

                if (parse_u64(de->d_name, &pid) == 0 && pid <= INT32_MAX)
                        scan_tasks(r, &t, (pid_t) pid, &c);
        }
        attribute_unconnected(r, &t, &c);
        for (unsigned i = 0; i < c.n_others; i++) {
                const UnixSock *s = NULL;
                for (size_t j = 0; j < t.n && !s; j++)
                        if (strcmp(t.socks[j].path, c.others[i].name) == 0)
                                s = &t.socks[j];
                if (s && i == 0) /* the walk is costly: only for the biggest */
                        c.others[i].reader = find_holder(s->ino).pid;
        }
        c.valid = true;
        c.cost_usec = now_usec(CLOCK_MONOTONIC) - t0;
        *ret = c;
        return 0;
}
