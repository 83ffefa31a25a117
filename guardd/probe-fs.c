/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Counting directory entries without ever opening them: logind's sessions
 * directory holds .ref FIFOs, and opening a FIFO can block. A directory is
 * re-read only when its mtime changed, so 20,000 leaked sessions cost a
 * stat() per round, not a readdir().
 */
#include "probe-fs.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "io-util.h"
#include "macro.h"
#include "parse-util.h"

static bool name_matches(const DirCount *d, const char *name) {
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
                return false;
        if (d->prefix && strncmp(name, d->prefix, strlen(d->prefix)) != 0)
                return false;
        return !d->infix || strstr(name, d->infix);
}

/**
 * dir_count_update() - recount @d->path if it changed since the last call.
 * @d: directory and filter; count and validity are updated
 *
 * Return: 0, or -errno (the count is then invalid, e.g. -ENOENT).
 */
int dir_count_update(DirCount *d) {
        _cleanup_closedir_ DIR *dir = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        uint64_t n = 0;

        assert(d);
        fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 || fstat(fd, &st) < 0) {
                d->valid = false;
                return -errno;
        }
        if (d->valid && st.st_dev == d->dev && st.st_ino == d->ino &&
            st.st_mtim.tv_sec == d->mtime.tv_sec && st.st_mtim.tv_nsec == d->mtime.tv_nsec)
                return 0;
        dir = fdopendir(fd);
        if (!dir) {
                d->valid = false;
                return -errno;
        }
        TAKE_FD(fd); /* the DIR owns it now */
        for (struct dirent *de; (de = readdir(dir));)
                if (name_matches(d, de->d_name))
                        n++;
        d->count = n;
        d->mtime = st.st_mtim;
        d->dev = st.st_dev;
        d->ino = st.st_ino;
        d->valid = true;
        return 0;
}

/**
 * fs_used_percent() - how full the filesystem holding @path is (blocks or
 * inodes, whichever is fuller: a tmpfs can run out of inodes first).
 * @path: any path on it
 * @ret: percent
 *
 * Return: 0 or -errno.
 */
int fs_used_percent(const char *path, unsigned *ret) {
        struct statvfs sv;
        uint64_t b = 0, i = 0;

        assert(ret);
        if (statvfs(path, &sv) < 0)
                return -errno;
        if (sv.f_blocks > 0)
                b = (uint64_t) (sv.f_blocks - sv.f_bfree) * 100 / sv.f_blocks;
        if (sv.f_files > 0)
                i = (uint64_t) (sv.f_files - sv.f_ffree) * 100 / sv.f_files;
        *ret = (unsigned) MAX(b, i);
        return 0;
}

/* /proc/stat's count of forks since boot. */
#define FORKS_KEY "processes "

static int read_forks(const char *path, uint64_t *ret) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[256];
        int r = -ENOENT;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, FORKS_KEY, strlen(FORKS_KEY)) == 0) {
                        line[strcspn(line, "\n")] = '\0';
                        r = parse_u64(line + strlen(FORKS_KEY), ret);
                        break;
                }
        return r;
}

static uint64_t count_mounts(const char *path) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[4096];
        uint64_t n = 0;

        f = fopen(path, "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                if (strchr(line, '\n'))
                        n++;
        return n;
}

/**
 * host_stats_init() - open PID 1's mountinfo for change notification
 * (POLLPRI on every mount table change). PID 1's, not ours: guardd runs in
 * a mount namespace of its own (PrivateDevices=), and the table PID 1 works
 * through is the one that matters.
 * @h: host stats
 * @mountinfo_path: the mount table to watch (mountinfo_path, /proc/1/mountinfo)
 *
 * Return: 0 or -errno.
 */
int host_stats_init(HostStats *h, const char *mountinfo_path) {
        assert(h);

        *h = (HostStats){ .mounts_changed = true, .stat_path = "/proc/stat" };
        /* Its own copy: a reload does not move the watch. Config paths fit. */
        (void) snprintf(h->mountinfo_path, sizeof(h->mountinfo_path), "%s", mountinfo_path);
        h->mountinfo_fd = open(h->mountinfo_path, O_RDONLY | O_CLOEXEC);
        return h->mountinfo_fd < 0 ? -errno : 0;
}

void host_stats_done(HostStats *h) {
        assert(h);

        if (h->mountinfo_fd >= 0)
                (void) close(h->mountinfo_fd);
        h->mountinfo_fd = -EBADF;
}

/**
 * host_mounts_event() - account one mount table change (from the event loop).
 * @h: host stats
 *
 * Return: 0.
 */
int host_mounts_event(HostStats *h) {
        assert(h);

        h->mount_events++;
        h->mounts_changed = true;
        return 0;
}

static uint64_t rate(uint64_t now_count, uint64_t then_count, uint64_t dt) {
        return dt > 0 && now_count >= then_count ? (now_count - then_count) * USEC_PER_SEC / dt : 0;
}

/* The i-th sample back from the newest (0: the newest). */
static const HostSample *sample_back(const HostStats *h, unsigned i) {
        return &h->hist[(h->hist_next + HOST_HISTORY - 1 - i) % HOST_HISTORY];
}

/* The newest mount count minus the peak (if a fall) or the trough of the
 * last @n samples. */
static int64_t mounts_delta_over(const HostStats *h, unsigned n) {
        uint64_t now_mounts = sample_back(h, 0)->mounts, lo = now_mounts, hi = now_mounts;

        for (unsigned i = 1; i < n; i++) {
                lo = MIN(lo, sample_back(h, i)->mounts);
                hi = MAX(hi, sample_back(h, i)->mounts);
        }
        if (hi - now_mounts >= now_mounts - lo)
                return -(int64_t) (hi - now_mounts);
        return (int64_t) (now_mounts - lo);
}

/**
 * host_stats_window() - the changes over the last HOST_WINDOW_USEC of
 * history (bulk unmounts show as a large negative mounts_delta, mount churn
 * as many changes, a respawn loop as many jobs), and the same since PID 1
 * was last quiet (busy_*). Pure over @h's history.
 * mounts_delta is measured from the window's peak (or trough), not its
 * start: 8,000 mounts made and detached within 30 s are 8,000 unmounts for
 * PID 1 to work through, not a net change of zero. Once PID 1 has been
 * idle with the mount table quiet they are worked through: a respawn loop
 * that starts ten seconds later is not "working through 8,000 unmounts".
 * @h: host stats
 * @now: CLOCK_MONOTONIC usec
 */
void host_stats_window(HostStats *h, uint64_t now) {
        const HostSample *newest, *base, *busy_base;
        unsigned n = 0, busy_n = 0;

        assert(h);
        h->mounts_delta = h->busy_mounts_delta = 0;
        h->mount_changes = h->jobs = h->busy_mount_changes = 0;
        if (h->hist_n == 0)
                return;
        newest = sample_back(h, 0);
        while (n < h->hist_n) {
                const HostSample *s = sample_back(h, n++);

                if (busy_n == 0 && s != newest && s->quiet)
                        busy_n = n; /* the quiet sample is the base: it holds the count before */
                if (s->usec + HOST_WINDOW_USEC <= now)
                        break;
        }
        if (busy_n == 0)
                busy_n = n;
        base = sample_back(h, n - 1);
        busy_base = sample_back(h, busy_n - 1);
        h->mounts_delta = mounts_delta_over(h, n);
        h->busy_mounts_delta = mounts_delta_over(h, busy_n);
        h->mount_changes = newest->mount_events - base->mount_events;
        h->busy_mount_changes = newest->mount_events - busy_base->mount_events;
        h->jobs = newest->jobs >= base->jobs ? newest->jobs - base->jobs : 0;
}

/**
 * host_stats_sample() - fork rate, mount churn and PID 1's job rate since
 * the last sample, and the window over the recent ones.
 * @h: host stats
 * @now: CLOCK_MONOTONIC usec
 * @jobs_total: PID 1's jobs seen so far (a counter)
 * @pid1_idle: PID 1 was (nearly) idle over the last round
 */
void host_stats_sample(HostStats *h, uint64_t now, uint64_t jobs_total, bool pid1_idle) {
        uint64_t forks = 0, dt = now > h->last_usec ? now - h->last_usec : 0;
        bool quiet;

        assert(h);
        quiet = pid1_idle && h->last_usec > 0 && h->mount_events == h->last_mount_events;
        if (read_forks(h->stat_path, &forks) == 0) {
                if (h->last_usec > 0)
                        h->forks_per_s = rate(forks, h->last_forks, dt);
                h->last_forks = forks;
        }
        if (h->last_usec > 0) {
                h->mount_changes_per_s = rate(h->mount_events, h->last_mount_events, dt);
                h->jobs_per_s = rate(jobs_total, h->last_jobs, dt);
        }
        h->last_mount_events = h->mount_events;
        h->last_jobs = jobs_total;
        if (h->mounts_changed) {
                h->mounts = count_mounts(h->mountinfo_path);
                h->mounts_changed = false;
        }
        h->last_usec = now;
        h->hist[h->hist_next] = (HostSample){ .usec = now, .mounts = h->mounts,
                                              .mount_events = h->mount_events, .jobs = jobs_total,
                                              .quiet = quiet };
        h->hist_next = (h->hist_next + 1) % HOST_HISTORY;
        h->hist_n = MIN(h->hist_n + 1, HOST_HISTORY);
        host_stats_window(h, now);
}
