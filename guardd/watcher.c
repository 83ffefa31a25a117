/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The watch table, guardd's side (see watcher.h). One timer: every tick,
 * or sooner when a call's deadline or next look comes first. Each look at
 * a slot: forget what is gone, believe a new slot only once the kernel
 * attests its process (watch-file.h), free slots whose claimer can no
 * longer run, and at the deadline judge and cut exactly as the module's
 * thread would. The work of one look is bounded whatever the login's
 * process holds: descriptors are read in order up to its limit (at most
 * WATCH_FD_LIMIT_MAX), never its memory.
 */
#include "watcher.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "breaker-file.h"
#include "io-util.h"
#include "log.h"
#include "macro.h"
#include "parse-util.h"
#include "probe-proc.h"

/* As the module's thread: after the deadline, a look every 250 ms at
 * evidence that went away and at sockets opened since; doubled after a
 * look that cut nothing, up to 5 s (a login stopped for good costs little). */
#define WATCH_RECUT_USEC (250 * USEC_PER_MSEC)
#define WATCH_RECUT_MAX_USEC (5 * USEC_PER_SEC)
/* How long guardd, told to stop, keeps watching the calls it has. */
#define WATCH_STOP_MAX_USEC (30 * USEC_PER_SEC)
#define CAP_BIT_SYS_PTRACE 19

static void local_forget(WatchLocal *l) {
        if (l->pidfd >= 0)
                (void) close(l->pidfd);
        *l = (WatchLocal){ .pidfd = -EBADF };
}

/**
 * watcher_init() - an idle watcher.
 * @w: watcher
 */
void watcher_init(Watcher *w) {
        *w = (Watcher){ .why_not = "not started" };
        for (unsigned i = 0; i < WATCH_SLOTS; i++)
                w->local[i].pidfd = -EBADF;
}

/* Why guardd cannot cut other processes' sockets here, or NULL. */
static const char *cannot_cut(void) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};
        char scope[8] = "";
        _cleanup_close_ int fd = -EBADF;

        if (syscall(SYS_capget, &h, d) < 0 || !(d[0].effective & (1U << CAP_BIT_SYS_PTRACE)))
                return "no CAP_SYS_PTRACE";
        if (syscall(SYS_pidfd_getfd, -1, 0, 0) >= 0 || errno != EBADF)
                return "no pidfd_getfd (Linux 5.6)";
        fd = open("/proc/sys/kernel/yama/ptrace_scope", O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && read(fd, scope, sizeof(scope) - 1) > 0 && scope[0] == '3')
                return "Yama ptrace_scope is 3";
        return NULL;
}

/* A table left by an earlier guardd may hold its looks in progress. */
static void adopt(WatchFile *f) {
        for (unsigned i = 0; i < WATCH_SLOTS; i++) {
                uint64_t w = __atomic_load_n(&f->words[i], __ATOMIC_SEQ_CST);

                if (WATCH_WORD_STATE(w) == WATCH_CUTTING)
                        watch_pass_end(f, i, WATCH_WORD_AS(w, WATCH_ARMED));
        }
}

/**
 * watcher_configure() - where the evidence is, from guardd's config (also on
 * a reload).
 * @w: watcher
 * @c: config
 */
void watcher_configure(Watcher *w, const Config *c) {
        w->evidence = (Evidence){ .owner = geteuid(), .max_age_usec = c->max_age_usec };
        (void) snprintf(w->evidence.sessions_dir, sizeof(w->evidence.sessions_dir), "%s",
                        c->sessions_dir);
        (void) snprintf(w->evidence.status_path, sizeof(w->evidence.status_path), "%s",
                        c->status_path);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Watcher *w = userdata;
        uint64_t next = watcher_tick(w, now_usec(CLOCK_MONOTONIC));

        if (w->stopping && (watcher_armed(w) == 0 || usec >= w->stop_by_usec)) {
                (void) sd_event_exit(w->event, 0);
                return 0;
        }
        (void) sd_event_source_set_time(s, next);
        return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

static int map_table(Watcher *w, const Config *c) {
        _cleanup_close_ int dir_fd = -EBADF;
        int r;

        dir_fd = breaker_dir_open(c->state_dir, geteuid(), false);
        if (dir_fd < 0)
                return log_warning_errno(dir_fd, "State directory '%s' unusable: %m", c->state_dir);
        r = watch_file_map(dir_fd, geteuid(), true, &w->map);
        if (r < 0)
                return log_warning_errno(r, "Cannot map '%s/" WATCH_FILE_NAME "': %m",
                                         c->state_dir);
        w->map.own_pid = watch_own_pid();
        return 0;
}

/**
 * watcher_start() - map (or make) the watch table and start watching.
 * Every failure is logged and leaves guardd running without it: the
 * module's threads watch then.
 * @w: watcher from watcher_init()
 * @event: the loop
 * @c: config (state_dir, sessions_dir, status_path, max_age)
 *
 * Return: 0 when watching, else -errno (already logged).
 */
int watcher_start(Watcher *w, sd_event *event, const Config *c) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        int r;

        assert(w && event && c);
        w->event = event;
        if (!c->guardd_watchdog) {
                w->why_not = "guardd_watchdog=no";
                return -ENOTSUP;
        }
        w->why_not = cannot_cut();
        if (w->why_not) {
                log_notice("Not watching wrapped calls (%s): the module's threads do.", w->why_not);
                return -EPERM;
        }
        r = map_table(w, c);
        if (r < 0) {
                w->why_not = "no watch table";
                return r;
        }
        /* Without the lock, or a pid of guardd's that only its own
         * namespace has, no login can tell that it shares guardd's. */
        r = watch_file_hold(&w->map);
        if (r < 0 || w->map.own_pid == 0) {
                w->why_not = r < 0 ? "watch table locked by another process"
                                   : "guardd's pid repeats in an outer pid namespace";
                if (r < 0)
                        log_warning_errno(r, "Cannot lock '%s/" WATCH_FILE_NAME "': %m; the module's "
                                          "threads watch.", c->state_dir);
                else
                        log_warning("guardd's pid is the same in an outer pid namespace (NSpid in "
                                    "/proc/self/status): the module's threads watch.");
                watch_file_unmap(&w->map);
                return r < 0 ? r : -EPERM;
        }
        watcher_configure(w, c);
        adopt(w->map.file);
        r = sd_event_add_time(event, &w->timer, CLOCK_MONOTONIC, now, USEC_PER_MSEC, on_timer, w);
        if (r < 0) {
                watch_file_unmap(&w->map);
                w->why_not = "no timer";
                return log_error_errno(r, "Failed to arm the watch timer: %m");
        }
        w->why_not = NULL;
        log_info("Watching the deadlines of wrapped calls (%s/" WATCH_FILE_NAME ").", c->state_dir);
        return 0;
}

/**
 * watcher_done() - stop watching: the heartbeat goes to 0 at once, so
 * logins use their own threads from now on.
 * @w: watcher
 */
void watcher_done(Watcher *w) {
        if (w->map.file)
                __atomic_store_n(&w->map.file->heartbeat_usec, 0, __ATOMIC_SEQ_CST);
        w->timer = sd_event_source_disable_unref(w->timer);
        for (unsigned i = 0; i < WATCH_SLOTS; i++)
                local_forget(&w->local[i]);
        watch_file_unmap(&w->map);
}

/**
 * watcher_armed() - calls guardd is watching now.
 * @w: watcher
 *
 * Return: armed slots.
 */
unsigned watcher_armed(const Watcher *w) {
        unsigned n = 0;

        if (!w->map.file)
                return 0;
        for (unsigned i = 0; i < WATCH_SLOTS; i++) {
                WatchState s = WATCH_WORD_STATE(__atomic_load_n(&w->map.file->words[i], __ATOMIC_SEQ_CST));

                n += s == WATCH_ARMED || s == WATCH_CUTTING;
        }
        return n;
}

/**
 * watcher_stop() - guardd was told to stop: take no new calls (heartbeat
 * 0, before the last looks at the table) and watch the armed ones to
 * their end, for WATCH_STOP_MAX_USEC at most.
 * @w: watcher
 * @now: CLOCK_MONOTONIC usec
 *
 * Return: true when guardd may exit now (nothing armed).
 */
bool watcher_stop(Watcher *w, uint64_t now) {
        if (!w->map.file || !w->timer)
                return true;
        w->stopping = true;
        w->stop_by_usec = now + WATCH_STOP_MAX_USEC;
        __atomic_store_n(&w->map.file->heartbeat_usec, 0, __ATOMIC_SEQ_CST);
        return watcher_armed(w) == 0;
}

/**
 * watcher_publish() - hand the round's verdict to the module through the
 * table (watch-file.h): the same values the status file carries.
 * @w: watcher
 * @s: the status just written
 * @c: config (status_path)
 */
void watcher_publish(Watcher *w, const Status *s, const Config *c) {
        static const char *const keys[_WATCH_SERVICE_MAX] = {
                [WATCH_SERVICE_LOGIN1] = "LOGIN1",
                [WATCH_SERVICE_CONSOLEKIT] = "CONSOLEKIT",
        };
        WatchVerdict v = {};
        const char *devlog = status_get(s, "DEVLOG");
        char action[32];

        if (!w->map.file || status_get_u64(s, "WRITTEN_MONOTONIC_USEC", &v.written_usec) < 0)
                return;
        v.devlog_quiet = devlog && (strcmp(devlog, "full") == 0 || strcmp(devlog, "stuck") == 0);
        for (unsigned i = 0; i < _WATCH_SERVICE_MAX; i++) {
                const char *state = status_get(s, keys[i]), *a;

                (void) snprintf(action, sizeof(action), "%s_ACTION", keys[i]);
                a = status_get(s, action);
                v.skip[i] = a && strcmp(a, "skip") == 0;
                (void) snprintf(v.state[i], sizeof(v.state[i]), "%s", state ? state : "");
        }
        (void) snprintf(v.status_path, sizeof(v.status_path), "%s", c->status_path);
        watch_verdict_publish(w->map.file, &v);
}

/* ---- one slot ------------------------------------------------------------- */

/* When process @pid started, CLOCK_BOOTTIME usec (/proc/PID/stat). */
static int started_usec(int pid, uint64_t *ret) {
        long hz = sysconf(_SC_CLK_TCK);
        ProcStat st;
        int r = proc_read_stat(pid, &st);

        if (r < 0)
                return r;
        if (hz <= 0 || st.start_ticks > UINT64_MAX / USEC_PER_SEC)
                return -EBADMSG;
        *ret = st.start_ticks * USEC_PER_SEC / (uint64_t) hz;
        return 0;
}

static bool pidfd_exited(int pidfd) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        return poll(&p, 1, 0) != 0;
}

/* A pidfd for @pid when the process there started no later than
 * @not_after_usec (CLOCK_BOOTTIME) and is still alive after that look: then
 * it is the process that had the pid at that time. -ESRCH: no such
 * process (or a later one); other -errno: could not tell. */
static int attest(int pid, uint64_t not_after_usec) {
        _cleanup_close_ int fd = (int) syscall(SYS_pidfd_open, pid, 0);
        uint64_t started;
        int r;

        if (fd < 0)
                return errno == ESRCH ? -ESRCH : -errno;
        r = started_usec(pid, &started);
        if (r < 0)
                return r;
        if (started > not_after_usec || pidfd_exited(fd))
                return -ESRCH;
        return TAKE_FD(fd);
}

/* Believe an armed slot: its claimer (the word's pid) started before it
 * claimed. A pid reused by another process since names a process that
 * started later: rejected, and the slot freed (its claimer is gone). */
static void verify(WatchLocal *l, const WatchSlot *s) {
        int fd = attest(l->pid, s->claim_usec);

        if (fd >= 0) {
                l->pidfd = fd;
                l->verified = true;
                return;
        }
        if (fd != -ESRCH)
                return; /* could not tell (guardd out of descriptors, say): the next tick does */
        l->rejected = true;
        log_warning("Watch slot of pid %d names no process that claimed it; not watching it.",
                    l->pid);
}

static bool process_gone(const WatchLocal *l) {
        return l->pidfd < 0 || pidfd_exited(l->pidfd);
}

static bool keep_has(const WatchSlot *s, int fd, uint64_t ino) {
        if (s->fd_limit > 0 && fd >= s->fd_limit)
                return true;
        for (uint32_t i = 0; i < s->n_keep; i++)
                if (s->keep[i].fd == fd && s->keep[i].ino == ino)
                        return true;
        return false;
}

static bool cut_before(const WatchLocal *l, uint64_t ino) {
        for (unsigned i = 0; i < l->n_cut_ino; i++)
                if (l->cut_ino[i] == ino)
                        return true;
        return false;
}

static void filter_of(const WatchSlot *s, CutFilter *f) {
        *f = (CutFilter){ .bus_len = s->bus_len };
        memcpy(f->bus, s->bus, sizeof(f->bus));
        memcpy(f->devlog, s->devlog, sizeof(f->devlog));
}

/* Shuts down the call's socket at @fd (socket inode @ino) when its peer
 * is one the wrapped module talks to. Our copy is closed again. */
static bool cut_one(WatchLocal *l, const CutFilter *f, int fd, uint64_t ino) {
        _cleanup_close_ int mine = (int) syscall(SYS_pidfd_getfd, l->pidfd, fd, 0);
        struct sockaddr_un sa = {};
        socklen_t len = sizeof(sa);
        struct stat st;

        if (mine < 0 || fstat(mine, &st) < 0 || !S_ISSOCK(st.st_mode) || (uint64_t) st.st_ino != ino)
                return false;
        if (getpeername(mine, (struct sockaddr *) &sa, &len) < 0 || sa.sun_family != AF_UNIX ||
            len <= offsetof(struct sockaddr_un, sun_path) ||
            !cut_filter_match(f, sa.sun_path, len - offsetof(struct sockaddr_un, sun_path)))
                return false;
        if (shutdown(mine, SHUT_RDWR) < 0)
                return false;
        if (l->n_cut_ino < WATCHER_CUT_MEMORY)
                l->cut_ino[l->n_cut_ino++] = ino;
        return true;
}

/* "socket:[123]" -> 123; false for anything else. */
static bool socket_ino(const char *link, uint64_t *ret) {
        char num[24];
        size_t n;

        if (strncmp(link, "socket:[", 8) != 0)
                return false;
        n = strcspn(link + 8, "]");
        if (n == 0 || n >= sizeof(num) || link[8 + n] != ']')
                return false;
        memcpy(num, link + 8, n);
        num[n] = '\0';
        return parse_u64(num, ret) == 0;
}

/* Every socket of the call's process below its limit, not kept and not cut
 * before: the numbers come from /proc (in ascending order, so the listing
 * stops at the limit: descriptors above it cost nothing), the sockets
 * through the pidfd, so a pid reused meanwhile yields nothing. */
static unsigned cut_new(Watcher *w, WatchLocal *l, const WatchSlot *s) {
        _cleanup_close_ int dir = -EBADF;
        char path[32], link[64];
        unsigned n = 0;
        CutFilter f;

        filter_of(s, &f);
        (void) snprintf(path, sizeof(path), "/proc/%d/fd", l->pid);
        dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return 0;
        for (;;) {
                long got = syscall(SYS_getdents64, dir, w->dents, sizeof(w->dents));

                if (got <= 0)
                        return n;
                for (long off = 0; off < got;) {
                        const struct dirent64 *de =
                                (const struct dirent64 *) (void *) (w->dents + off);
                        uint64_t fd, ino;
                        ssize_t k;

                        off += de->d_reclen;
                        if (parse_u64(de->d_name, &fd) < 0)
                                continue;
                        if (fd >= (uint64_t) s->fd_limit)
                                return n;
                        k = readlinkat(dir, de->d_name, link, sizeof(link) - 1);
                        if (k <= 0)
                                continue;
                        link[k] = '\0';
                        if (!socket_ino(link, &ino) || keep_has(s, (int) fd, ino) ||
                            cut_before(l, ino))
                                continue;
                        n += cut_one(l, &f, (int) fd, ino);
                }
        }
}

static unsigned judge(Watcher *w, const WatchLocal *l, const WatchSlot *s) {
        if (!(s->flags & WATCH_F_EVIDENCE))
                return 0;
        w->evidence.pid = l->pid;
        w->evidence.since_sec = s->since_sec;
        return evidence_judge(&w->evidence, w->file, sizeof(w->file), w->dents, sizeof(w->dents));
}

/* One look past the deadline, as the module's thread takes it. */
static void look(Watcher *w, unsigned i, WatchLocal *l, uint64_t now) {
        WatchFile *f = w->map.file;
        WatchSlot *s = &f->slots[i];
        unsigned why, n;

        if (!watch_pass_begin(f, i, l->word))
                return;
        s->fired = 1;
        why = judge(w, l, s);
        if (why && now < s->patience_usec) {
                if (!(s->waited & why))
                        log_notice(
                                "pid %d: %s, not cutting its call yet (patience until +%llu ms).",
                                l->pid,
                                why & GUARD_WAIT_TAKEN ? "logind is completing its session"
                                                       : "PID 1 is stopped or stuck",
                                (unsigned long long) ((s->patience_usec - now) / USEC_PER_MSEC));
                s->waited |= why;
                l->next_usec = MIN(now + WATCH_RECUT_USEC, s->patience_usec);
        } else {
                if (why)
                        s->patience_over = 1;
                n = cut_new(w, l, s);
                if (n > 0) {
                        log_notice("pid %d: cut %u connection%s of its wrapped call, %llu ms past "
                                   "the deadline.",
                                   l->pid, n, n == 1 ? "" : "s",
                                   (unsigned long long) ((now - s->deadline_usec) / USEC_PER_MSEC));
                        w->cuts += n;
                }
                s->n_cut += n;
                l->recut_usec = n > 0 || l->recut_usec == 0 ? WATCH_RECUT_USEC
                                                             : MIN(2 * l->recut_usec, WATCH_RECUT_MAX_USEC);
                l->next_usec = now + l->recut_usec;
        }
        watch_pass_end(f, i, l->word);
}

/* A slot claimed and not armed yet: freed only once its claimer (the
 * word's pid) can no longer run. Its start time is checked against when
 * guardd first saw the claim (the slot's own fields are not written yet):
 * a process that started later is not the claimer. A claimer stopped
 * between claim and arm keeps its slot; when it wakes it writes there and
 * nowhere else. */
static void look_claimed(WatchFile *f, unsigned i, uint64_t word, WatchLocal *l) {
        int fd;

        if (l->pidfd >= 0) {
                if (pidfd_exited(l->pidfd))
                        (void) watch_release(f, i, word);
                return;
        }
        fd = attest(l->pid, l->seen_boot_usec);
        if (fd >= 0)
                l->pidfd = fd;
        else if (fd == -ESRCH)
                (void) watch_release(f, i, word);
}

/* Nobody will end this slot: its process is gone, its login stopped
 * waiting, or it names no process of ours and its patience is long over. */
static bool slot_over(const WatchFile *f, unsigned i, const WatchLocal *l) {
        return l->rejected || process_gone(l) || watch_returned(f, i, l->word, WATCH_RET_ABANDONED);
}

/* Returns when this slot next needs a look (UINT64_MAX: not by time). */
static uint64_t look_at(Watcher *w, unsigned i, uint64_t now) {
        WatchFile *f = w->map.file;
        WatchLocal *l = &w->local[i];
        uint64_t word = __atomic_load_n(&f->words[i], __ATOMIC_SEQ_CST);
        WatchState st = WATCH_WORD_STATE(word);
        uint64_t armed = WATCH_WORD_AS(word, WATCH_ARMED);

        if (st == WATCH_FREE || (l->word != 0 && l->word != armed))
                local_forget(l);
        if (st == WATCH_FREE)
                return UINT64_MAX;
        if (l->word == 0) {
                l->word = armed;
                l->pid = WATCH_WORD_PID(word);
                l->seen_boot_usec = now_usec(CLOCK_BOOTTIME);
        }
        if (st == WATCH_CLAIMED) {
                look_claimed(f, i, word, l);
                return UINT64_MAX;
        }
        if (!l->verified && !l->rejected) {
                /* The pidfd from the claimed look may be of a process that
                 * only looked like the claimer: judge again by the slot. */
                if (l->pidfd >= 0)
                        (void) close(l->pidfd);
                l->pidfd = -EBADF;
                if (!watch_slot_valid(&f->slots[i]) || l->pid <= 0)
                        l->rejected = true;
                else
                        verify(l, &f->slots[i]);
                if (!l->verified && !l->rejected)
                        return now + WATCH_TICK_USEC;
        }
        if (slot_over(f, i, l)) {
                if (watch_release(f, i, armed))
                        local_forget(l);
                return UINT64_MAX;
        }
        if (l->rejected || watch_returned(f, i, armed, WATCH_RET_RETURNED))
                return UINT64_MAX;
        if (l->next_usec == 0)
                l->next_usec = f->slots[i].deadline_usec;
        if (now >= l->next_usec)
                look(w, i, l, now);
        return l->next_usec;
}

/**
 * watcher_tick() - stamp the heartbeat (unless stopping) and look at every
 * slot.
 * @w: watcher
 * @now: CLOCK_MONOTONIC usec
 *
 * Return: when to look again.
 */
uint64_t watcher_tick(Watcher *w, uint64_t now) {
        uint64_t next = now + WATCH_TICK_USEC;

        if (!w->map.file)
                return UINT64_MAX;
        if (!w->stopping) {
                (void) watch_file_hold(&w->map);
                watch_file_beat(w->map.file, now);
        }
        for (unsigned i = 0; i < WATCH_SLOTS; i++)
                next = MIN(next, look_at(w, i, now));
        return MAX(next, now + USEC_PER_MSEC);
}
