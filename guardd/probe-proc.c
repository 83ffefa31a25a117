/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /proc/PID/stat sampling. Only the stat file is read: cmdline and
 * environ take the target's mmap lock and can hang on a stuck process.
 */
#include "probe-proc.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io-util.h"
#include "macro.h"
#include "parse-util.h"

/**
 * proc_parse_stat() - parse the text of /proc/PID/stat.
 * @text: contents; comm may contain spaces and parentheses
 * @ret: state, comm, CPU ticks, start time and RSS pages
 *
 * Return: 0 or -EINVAL.
 */
/* proc(5) numbers the fields of /proc/PID/stat from 1 (pid, comm, state...). */
#define STAT_FIELD_STATE 3
#define STAT_FIELD_UTIME 14

int proc_parse_stat(const char *text, ProcStat *ret) {
        const char *open = strchr(text, '('), *close = strrchr(text, ')'), *p;
        unsigned long long utime, stime, start, rss;
        ProcStat s = {};
        size_t n;

        assert(ret);
        if (!open || !close || close < open || close[1] != ' ' || !close[2])
                return -EINVAL;
        n = MIN((size_t) (close - open - 1), sizeof(s.comm) - 1);
        memcpy(s.comm, open + 1, n);
        s.state = close[2];
        /* Fields after comm: 3 state ... 14 utime 15 stime ... 22 starttime ... 24 rss. */
        p = close + 2;
        for (int field = STAT_FIELD_STATE; field < STAT_FIELD_UTIME; field++) {
                p = strchr(p, ' ');
                if (!p)
                        return -EINVAL;
                p++;
        }
        if (sscanf(p, "%llu %llu %*s %*s %*s %*s %*s %*s %llu %*s %llu", &utime, &stime, &start,
                   &rss) != 4)
                return -EINVAL;
        s.ticks = utime + stime;
        s.start_ticks = start;
        s.rss_pages = rss;
        *ret = s;
        return 0;
}

/**
 * proc_read_stat_at() - read and parse @proc_root/@pid/stat.
 * @proc_root: "/proc", or a directory of fixtures in the tests
 * @pid: process
 * @ret: parsed figures
 *
 * Return: 0, -ESRCH when the process is gone, other -errno.
 */
int proc_read_stat_at(const char *proc_root, pid_t pid, ProcStat *ret) {
        char path[512], buf[1024];
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        assert(ret);
        (void) snprintf(path, sizeof(path), "%s/%d/stat", proc_root, (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        n = read_full(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return n < 0 ? (int) n : -ESRCH;
        buf[n] = '\0';
        return proc_parse_stat(buf, ret);
}

int proc_read_stat(pid_t pid, ProcStat *ret) {
        assert(ret);

        return proc_read_stat_at(PROC_ROOT, pid, ret);
}

/**
 * proc_watch_set_pid() - tell the watch the current PID (from the bus, say);
 * a different PID than before counts as a restart.
 * @w: watch
 * @pid: current PID, 0 when unknown
 * @now: CLOCK_MONOTONIC usec
 */
void proc_watch_set_pid(ProcWatch *w, pid_t pid, uint64_t now) {
        assert(w);

        if (pid <= 0 || pid == w->pid)
                return;
        if (w->last_pid > 0 && w->last_pid != pid) {
                w->restarts++;
                w->last_restart_usec = now;
        }
        w->pid = pid;
        w->last_pid = pid;
        w->last_ticks = 0;
        w->last_sample_usec = 0;
}

/**
 * proc_watch_sample() - refresh CPU, RSS and state of the watched process.
 * @w: watch
 * @now: CLOCK_MONOTONIC usec
 */
void proc_watch_sample(ProcWatch *w, uint64_t now) {
        static long ticks_per_sec, page_size;
        ProcStat s = {};

        assert(w);
        if (!ticks_per_sec) {
                ticks_per_sec = sysconf(_SC_CLK_TCK);
                page_size = sysconf(_SC_PAGESIZE);
        }
        if (w->pid <= 0 || proc_read_stat(w->pid, &s) < 0) {
                w->state = 0;
                w->pid = 0; /* gone: the next PID seen is a restart */
                w->cpu_percent = 0;
                return;
        }
        if (w->last_sample_usec > 0 && now > w->last_sample_usec && s.ticks >= w->last_ticks)
                w->cpu_percent =
                        (unsigned) ((s.ticks - w->last_ticks) * USEC_PER_SEC * 100 /
                                    (uint64_t) ticks_per_sec / (now - w->last_sample_usec));
        w->last_ticks = s.ticks;
        w->last_sample_usec = now;
        w->rss_bytes = s.rss_pages * (uint64_t) page_size;
        w->state = s.state;
        memcpy(w->comm, s.comm, sizeof(w->comm));
}

/* A process runs as root when its /proc directory is root's. */
static bool runs_as_root(const char *proc_root, uint64_t pid) {
        char path[512];
        struct stat st;

        (void) snprintf(path, sizeof(path), "%s/%llu", proc_root, (unsigned long long) pid);
        return stat(path, &st) == 0 && st.st_uid == 0;
}

/**
 * proc_find_by_comm_at() - the lowest PID whose comm is one of @comms,
 * among processes that run as root only: anybody can name a process
 * "systemd-logind" or "console-kit-dae", and its name and numbers would
 * then stand in the status as the culprit's.
 * @proc_root: "/proc", or fixtures
 * @comms: NULL-terminated names
 *
 * Walks the directory, so callers do it rarely (when no PID is known).
 *
 * Return: the PID, or 0 when none runs.
 */
pid_t proc_find_by_comm_at(const char *proc_root, const char *const *comms) {
        _cleanup_(closedirp) DIR *d = NULL;
        pid_t found = 0;

        d = opendir(proc_root);
        if (!d)
                return 0;
        for (struct dirent *de; (de = readdir(d));) {
                uint64_t pid;
                ProcStat s;

                if (parse_u64(de->d_name, &pid) < 0 || pid > INT32_MAX ||
                    proc_read_stat_at(proc_root, (pid_t) pid, &s) < 0)
                        continue;
                for (const char *const *c = comms; *c; c++)
                        if (strcmp(s.comm, *c) == 0 && (found == 0 || (pid_t) pid < found) &&
                            runs_as_root(proc_root, pid))
                                found = (pid_t) pid;
        }
        return found;
}

pid_t proc_find_by_comm(const char *const *comms) {
        return proc_find_by_comm_at(PROC_ROOT, comms);
}
