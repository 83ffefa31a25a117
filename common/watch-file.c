/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The watch table (see watch-file.h): mapping it, and the slot protocol
 * both sides follow. Every change of a slot word is one compare-and-swap;
 * the login's "returned" store and guardd's start of a pass are ordered
 * like Dekker's flags (sequentially consistent on both sides), so either
 * guardd sees that the call returned, or the login sees the cut in
 * progress and waits for it.
 */
#include "watch-file.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "breaker-file.h"
#include "io-util.h"
#include "macro.h"
#include "rawsys.h"

#define WATCH_GEN_MASK 0xffffffU

/**
 * watch_file_check() - is @f a watch table of this boot and version?
 * @f: the mapped file
 * @len: its size
 * @boot_id: this boot's id
 *
 * Return: 0; -ESTALE from another boot; -EBADMSG not a table of this version.
 */
int watch_file_check(const WatchFile *f, size_t len, const uint8_t boot_id[16]) {
        if (len != sizeof(*f) || f->magic != WATCH_FILE_MAGIC || f->version != WATCH_FILE_VERSION ||
            f->size != sizeof(*f))
                return -EBADMSG;
        return memcmp(f->boot_id, boot_id, 16) == 0 ? 0 : -ESTALE;
}

static int open_checked(int dir_fd, uid_t owner) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = openat(dir_fd, WATCH_FILE_NAME,
                    O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return errno == ELOOP ? -EPERM : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        /* Nothing in it is for others to read (pids, deadlines, what a login
         * keeps open): a table readable by them is not ours. */
        if ((st.st_uid != 0 && st.st_uid != owner) || (st.st_mode & (S_IRWXG | S_IRWXO)))
                return -EPERM;
        if ((size_t) st.st_size != sizeof(WatchFile))
                return -EBADMSG;
        return TAKE_FD(fd);
}

/* A fresh, empty table, written whole to a temporary file and renamed over
 * whatever unusable file was there. Only guardd makes it. */
static int create_file(int dir_fd, const uint8_t boot_id[16]) {
        _cleanup_free_ WatchFile *f = calloc(1, sizeof(*f));

        if (!f)
                return -ENOMEM;
        f->magic = WATCH_FILE_MAGIC;
        f->version = WATCH_FILE_VERSION;
        f->size = sizeof(WatchFile);
        memcpy(f->boot_id, boot_id, sizeof(f->boot_id));
        /* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): freed by _cleanup_ */
        return write_file_atomic(dir_fd, WATCH_FILE_NAME, (const char *) f, sizeof(*f), 0600,
                                 false);
}

/* Maps the file as it is; @boot_id NULL: of whichever boot it says.
 * guardd (@keep_fd) keeps the descriptor for its lock; a login reads who
 * holds that lock before closing it. */
static int map_existing(int dir_fd, uid_t owner, const uint8_t *boot_id, bool keep_fd,
                        WatchMap *ret) {
        _cleanup_close_ int fd = open_checked(dir_fd, owner);
        WatchFile *f;
        int e;

        if (fd < 0)
                return fd;
        /* MAP_POPULATE: the table's pages mapped in this one call, not by
         * a page fault each as a login first touches them (3 of them; on
         * some VMs a fault costs 10+ us: bench/floor.sh). */
        f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
        if (f == MAP_FAILED)
                return -errno;
        e = boot_id ? watch_file_check(f, sizeof(*f), boot_id)
                    : watch_file_check(f, sizeof(*f), f->boot_id);
        if (e < 0) {
                (void) munmap(f, sizeof(*f));
                return e;
        }
        *ret = (WatchMap){ .file = f, .fd = -EBADF };
        if (keep_fd) {
                ret->fd = TAKE_FD(fd);
                ret->holds_fd = true;
        } else {
                ret->holder_run = __atomic_load_n(&f->guardd_run, __ATOMIC_ACQUIRE);
                ret->holder = watch_file_holder(fd);
        }
        return 0;
}

/**
 * watch_file_map() - map the table for atomic updates. The descriptor is
 * not kept: the mapping holds the file.
 * @dir_fd: state directory
 * @owner: uid allowed to own it besides root (tests run as users)
 * @create: (guardd) check the boot id, and make a fresh table when none, or
 *          only an unusable one (another boot's, another version, corrupt),
 *          exists. Logins do not read the boot id: watch_file_fresh() tells
 *          them whether this boot's guardd is watching.
 * @ret: the mapping; release with watch_file_unmap()
 *
 * Return: 0; -ENOENT missing; -ESTALE from another boot; -EPERM untrusted
 * (owner, mode, symlink); -EBADMSG corrupt; other -errno.
 */
int watch_file_map(int dir_fd, uid_t owner, bool create, WatchMap *ret) {
        uint8_t boot_id[16];
        int e;

        if (!create)
                return map_existing(dir_fd, owner, NULL, false, ret);
        e = breaker_boot_id(boot_id);
        if (e < 0)
                return e;
        e = map_existing(dir_fd, owner, boot_id, true, ret);
        if (e == 0 || (e != -ENOENT && e != -ESTALE && e != -EBADMSG))
                return e;
        e = create_file(dir_fd, boot_id);
        if (e < 0)
                return e;
        return map_existing(dir_fd, owner, boot_id, true, ret);
}

/**
 * watch_file_unmap() - release a mapping.
 * @m: mapping (may be empty)
 */
void watch_file_unmap(WatchMap *m) {
        if (m->file)
                (void) munmap(m->file, sizeof(*m->file));
        if (m->holds_fd)
                (void) close(m->fd);
        *m = (WatchMap){};
}

/**
 * watch_boot_wall_usec() - when this boot began, by the wall clock:
 * CLOCK_REALTIME minus CLOCK_BOOTTIME (two vDSO reads, no system call).
 *
 * Return: microseconds since the epoch.
 */
int64_t watch_boot_wall_usec(void) {
        return (int64_t) now_usec(CLOCK_REALTIME) - (int64_t) now_usec(CLOCK_BOOTTIME);
}

/**
 * watch_file_beat() - (guardd) stamp the heartbeat: guardd watches.
 * @f: table
 * @now: CLOCK_MONOTONIC usec
 */
void watch_file_beat(WatchFile *f, uint64_t now) {
        __atomic_store_n(&f->boot_wall_usec, watch_boot_wall_usec(), __ATOMIC_RELAXED);
        __atomic_store_n(&f->heartbeat_usec, now, __ATOMIC_SEQ_CST);
}

/**
 * watch_file_fresh() - is this boot's guardd watching: a heartbeat within
 * WATCH_FRESH_USEC, stamped in this boot (its start by the wall clock
 * within WATCH_BOOT_SLACK_USEC of ours; a clock step makes logins use their
 * threads until guardd's next stamp)?
 * @f: table
 * @now: CLOCK_MONOTONIC usec
 *
 * Return: true when a login may rely on guardd.
 */
bool watch_file_fresh(const WatchFile *f, uint64_t now) {
        uint64_t hb = __atomic_load_n(&f->heartbeat_usec, __ATOMIC_SEQ_CST);
        int64_t boot =
                __atomic_load_n(&f->boot_wall_usec, __ATOMIC_RELAXED) - watch_boot_wall_usec();

        return hb != 0 && hb <= now + WATCH_TICK_USEC && now - MIN(hb, now) <= WATCH_FRESH_USEC &&
               boot < (int64_t) WATCH_BOOT_SLACK_USEC && boot > -(int64_t) WATCH_BOOT_SLACK_USEC;
}

/**
 * watch_slot_valid() - is what a login wrote into @s usable: a pid, and
 * every count and string within its field?
 * @s: slot
 *
 * Return: true when guardd may act on it.
 */
bool watch_slot_valid(const WatchSlot *s) {
        return s->claim_usec > 0 && s->fd_limit > 0 && s->fd_limit <= WATCH_FD_LIMIT_MAX &&
               s->n_keep <= WATCH_KEEP_MAX && s->bus_len < CUT_PATH_MAX &&
               memchr(s->devlog, '\0', sizeof(s->devlog)) != NULL &&
               (s->bus_len == 0 || s->bus[0] == '\0' || memchr(s->bus, '\0', sizeof(s->bus)));
}

/**
 * watch_verdict_publish() - (guardd) the verdict of the round just judged.
 * @f: table
 * @v: verdict (its seq is ignored)
 */
void watch_verdict_publish(WatchFile *f, const WatchVerdict *v) {
        WatchVerdict *d = &f->verdict;
        uint32_t seq = __atomic_load_n(&d->seq, __ATOMIC_RELAXED);

        __atomic_store_n(&d->seq, seq | 1U, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_RELEASE);
        d->devlog_quiet = v->devlog_quiet;
        d->written_usec = v->written_usec;
        memcpy(d->skip, v->skip, sizeof(d->skip));
        memcpy(d->state, v->state, sizeof(d->state));
        memcpy(d->status_path, v->status_path, sizeof(d->status_path));
        d->status_path[sizeof(d->status_path) - 1] = '\0';
        __atomic_store_n(&d->seq, (seq | 1U) + 1U, __ATOMIC_RELEASE);
}

/**
 * watch_verdict_read() - a consistent copy of guardd's last verdict.
 * @f: table
 * @ret: the copy, its strings NUL-terminated
 *
 * Return: false when guardd was writing it (or never has): read the
 * status file instead.
 */
bool watch_verdict_read(const WatchFile *f, WatchVerdict *ret) {
        const WatchVerdict *s = &f->verdict;
        uint32_t before = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);

        if (before == 0 || (before & 1U))
                return false;
        memcpy(ret, s, sizeof(*ret));
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) != before)
                return false;
        ret->status_path[sizeof(ret->status_path) - 1] = '\0';
        for (unsigned i = 0; i < _WATCH_SERVICE_MAX; i++)
                ret->state[i][WATCH_SERVICE_STATE_MAX - 1] = '\0';
        return ret->written_usec != 0;
}

/**
 * watch_service_from_key() - which verdict entry a status key prefix is.
 * @service_key: "LOGIN1", "CONSOLEKIT", ...
 *
 * Return: the WatchService, or -ENOENT for a service guardd does not judge.
 */
int watch_service_from_key(const char *service_key) {
        if (strcmp(service_key, "LOGIN1") == 0)
                return WATCH_SERVICE_LOGIN1;
        if (strcmp(service_key, "CONSOLEKIT") == 0)
                return WATCH_SERVICE_CONSOLEKIT;
        return -ENOENT;
}

/* The byte guardd holds a write lock on while it watches. */
#define WATCH_LOCK_INIT(type) { .l_type = (type), .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 }

/**
 * watch_pid_unique() - @pid, guardd's in its own pid namespace, when a login
 * that sees guardd by that number must share that namespace: no ancestor
 * namespace numbers guardd the same (the NSpid line of @status, outermost
 * first, guardd's own last).
 * @status: the text of /proc/self/status
 * @pid: getpid()
 *
 * Return: @pid, or 0 when the line is missing or another level repeats it.
 */
int32_t watch_pid_unique(const char *status, int32_t pid) {
        const char *p = strstr(status, "\nNSpid:");
        int32_t last = 0;
        unsigned same = 0;

        if (!p || pid <= 0)
                return 0;
        for (p += strlen("\nNSpid:"); *p == ' ' || *p == '\t';) {
                char *end;
                unsigned long long v;

                p += strspn(p, " \t");
                errno = 0;
                v = strtoull(p, &end, 10);
                if (end == p || errno != 0 || v == 0 || v > INT32_MAX)
                        return 0;
                last = (int32_t) v;
                same += last == pid;
                p = end;
        }
        return last == pid && same == 1 ? pid : 0;
}

/**
 * watch_own_pid() - (guardd) its pid for guardd_pid: watch_pid_unique() of
 * its own /proc/self/status.
 *
 * Return: the pid, or 0.
 */
int32_t watch_own_pid(void) {
        char buf[4096] = "\n"; /* watch_pid_unique() looks for a line's start */

        if (!read_small_file("/proc/self/status", buf + 1, sizeof(buf) - 1))
                return 0;
        return watch_pid_unique(buf, (int32_t) getpid());
}

/**
 * watch_file_holder() - (login) who holds guardd's lock on the table, by
 * the pid the kernel gives it in our pid namespace: 0 when nobody does, or
 * when the holder is outside what our namespace can see.
 * @fd: the table, open
 *
 * Return: the pid, or 0.
 */
int32_t watch_file_holder(int fd) {
        struct flock fl = WATCH_LOCK_INIT(F_WRLCK);

        if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK || fl.l_pid <= 0)
                return 0;
        return fl.l_pid;
}

/**
 * watch_file_probe() - watch_file_holder() of the table in @dir_fd, opened
 * for it (a process forked after the table was mapped, or a new guardd).
 * @dir_fd: state directory
 * @owner: uid allowed to own it besides root
 * @ret_holder: the holder's pid, or 0
 *
 * Return: 0, or -errno of opening the table.
 */
int watch_file_probe(int dir_fd, uid_t owner, int32_t *ret_holder) {
        _cleanup_close_ int fd = open_checked(dir_fd, owner);

        *ret_holder = 0;
        if (fd < 0)
                return fd;
        *ret_holder = watch_file_holder(fd);
        return 0;
}

/**
 * watch_file_hold() - (guardd) hold the lock that tells logins who guardd
 * is, and publish guardd_pid; taken again at every tick, as closing any
 * descriptor of the file would drop it. Without the lock guardd_pid is 0,
 * and logins use their own threads.
 * @m: guardd's mapping (watch_file_map() with @create)
 *
 * Return: 0, or -errno when the lock cannot be held.
 */
int watch_file_hold(WatchMap *m) {
        struct flock fl = WATCH_LOCK_INIT(F_WRLCK);
        int32_t pid = 0;
        int r = 0;

        if (!m->file || !m->holds_fd)
                return -EBADF;
        if (fcntl(m->fd, F_SETLK, &fl) == 0)
                pid = m->own_pid;
        else
                r = -errno;
        if (__atomic_load_n(&m->file->guardd_pid, __ATOMIC_RELAXED) != pid) {
                __atomic_store_n(&m->file->guardd_pid, pid, __ATOMIC_RELAXED);
                (void) __atomic_add_fetch(&m->file->guardd_run, 1, __ATOMIC_RELEASE);
        }
        return r;
}

/* Futex waits compare 32 bits: the half of the word with state and generation. */
static uint32_t *word_futex(WatchFile *f, unsigned slot) {
        uint32_t *half = (uint32_t *) (void *) &f->words[slot];

        return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? half : half + 1;
}

static unsigned user_slots(const WatchFile *f) {
        unsigned n = 0;

        for (unsigned i = 0; i < WATCH_SLOTS; i++) {
                uint64_t w = __atomic_load_n(&f->words[i], __ATOMIC_RELAXED);

                n += WATCH_WORD_STATE(w) != WATCH_FREE && WATCH_WORD_USER(w);
        }
        return n;
}

/**
 * watch_claim() - take a free slot, to fill in and arm.
 * @f: table
 * @user: the login runs for a user (real uid not 0)
 * @pid: the claimer, getpid(): the slot stays claimed while it can run
 * @hint: where to start looking (spreads concurrent logins)
 * @ret_word: the slot's word as claimed
 *
 * Return: the slot; -EBUSY when none is free (or a user's share is used).
 */
int watch_claim(WatchFile *f, bool user, int32_t pid, unsigned hint, uint64_t *ret_word) {
        if (pid <= 0)
                return -EINVAL;
        if (user && user_slots(f) >= WATCH_USER_SLOTS)
                return -EBUSY;
        for (unsigned k = 0; k < WATCH_SLOTS; k++) {
                unsigned i = (hint + k) % WATCH_SLOTS;
                uint64_t w = __atomic_load_n(&f->words[i], __ATOMIC_RELAXED), nw;

                if (WATCH_WORD_STATE(w) != WATCH_FREE)
                        continue;
                nw = WATCH_WORD_WITH_PID(
                        WATCH_WORD((WATCH_WORD_GEN(w) + 1) & WATCH_GEN_MASK, user, WATCH_CLAIMED),
                        pid);
                if (__atomic_compare_exchange_n(&f->words[i], &w, nw, false, __ATOMIC_ACQUIRE,
                                                __ATOMIC_RELAXED)) {
                        *ret_word = nw;
                        return (int) i;
                }
        }
        return -EBUSY;
}

/**
 * watch_arm() - hand a filled-in slot to guardd.
 * @f: table
 * @slot: from watch_claim()
 * @word: the claimed word; the armed word on return
 *
 * Return: false when the slot was taken back meanwhile (the login looked
 * dead to guardd while it was stopped): then it is not ours any more.
 */
bool watch_arm(WatchFile *f, unsigned slot, uint64_t *word) {
        WatchSlot *s = &f->slots[slot];
        uint64_t claimed = *word, armed = WATCH_WORD_AS(claimed, WATCH_ARMED);

        s->ret = 0;
        s->fired = s->n_cut = s->waited = s->patience_over = 0;
        if (!__atomic_compare_exchange_n(&f->words[slot], &claimed, armed, false, __ATOMIC_SEQ_CST,
                                         __ATOMIC_RELAXED))
                return false;
        (void) __atomic_fetch_add(&f->armed_total, 1, __ATOMIC_RELAXED);
        *word = armed;
        return true;
}

/* Between claim and arm the slot is the claimer's alone: guardd reads
 * nothing of a claimed slot, and frees it only once the claimer cannot run. */
static void fill_slot(WatchSlot *s, const WatchRequest *r, uint64_t claim_usec) {
        s->flags = r->flags;
        s->claim_usec = claim_usec;
        s->since_sec = r->since_sec;
        s->deadline_usec = r->deadline_usec;
        s->patience_usec = r->patience_usec;
        s->n_keep = MIN(r->n_keep, WATCH_KEEP_MAX);
        s->fd_limit = r->fd_limit;
        memcpy(s->keep, r->keep, s->n_keep * sizeof(s->keep[0]));
        memcpy(s->bus, r->filter->bus, sizeof(s->bus));
        s->bus_len = (uint32_t) MIN(r->filter->bus_len, sizeof(s->bus) - 1);
        memcpy(s->devlog, r->filter->devlog, sizeof(s->devlog));
        s->devlog[sizeof(s->devlog) - 1] = '\0';
}

/**
 * watch_begin() - hand a call's deadline to guardd: claim a slot, fill it
 * in, arm it, and check guardd is still watching. guardd stopping clears
 * the heartbeat before its last look at the table, so either guardd sees
 * the armed slot or the login sees the heartbeat gone (and withdraws).
 * @f: table
 * @r: the call
 * @ret_word: the armed word, for watch_finish()
 *
 * Return: the slot, or -EAGAIN (no free slot, taken back while the login
 * was stopped, or guardd not watching): the login watches the call itself.
 */
int watch_begin(WatchFile *f, const WatchRequest *r, uint64_t *ret_word) {
        unsigned hint = (unsigned) r->pid * 2654435761U;
        WatchResult ignored;
        uint64_t claim_usec;
        int slot;

        if (r->n_keep > WATCH_KEEP_MAX || r->fd_limit < 1 || r->fd_limit > WATCH_FD_LIMIT_MAX)
                return -EAGAIN;
        /* Before the claim: the login's process started earlier still,
         * which is what guardd checks against /proc. */
        claim_usec = now_usec(CLOCK_BOOTTIME);
        slot = watch_claim(f, r->user, r->pid, hint % WATCH_SLOTS, ret_word);
        if (slot < 0)
                return -EAGAIN;
        fill_slot(&f->slots[slot], r, claim_usec);
        if (!watch_arm(f, (unsigned) slot, ret_word))
                return -EAGAIN;
        if (watch_file_fresh(f, now_usec(CLOCK_MONOTONIC)))
                return slot;
        watch_finish(f, (unsigned) slot, *ret_word, &ignored);
        return -EAGAIN;
}

static void read_result(const WatchSlot *s, bool exact, WatchResult *ret) {
        *ret = (WatchResult){
                .fired = __atomic_load_n(&s->fired, __ATOMIC_RELAXED) != 0,
                .n_cut = __atomic_load_n(&s->n_cut, __ATOMIC_RELAXED),
                .waited = __atomic_load_n(&s->waited, __ATOMIC_RELAXED),
                .patience_over = __atomic_load_n(&s->patience_over, __ATOMIC_RELAXED) != 0,
                .exact = exact,
        };
}

static uint64_t free_word(uint64_t w) {
        return WATCH_WORD(WATCH_WORD_GEN(w), false, WATCH_FREE);
}

static uint32_t ret_of(uint64_t armed, unsigned how) {
        return (uint32_t) WATCH_WORD_AS(armed, how);
}

/* The slot is ARMED again: read what guardd did and free it. False when
 * guardd started another look in between (then try again). */
static bool take_result(WatchFile *f, unsigned slot, uint64_t armed, WatchResult *ret) {
        uint64_t w = armed;

        read_result(&f->slots[slot], true, ret);
        return __atomic_compare_exchange_n(&f->words[slot], &w, free_word(armed), false,
                                           __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* Waited too long for a cut: tell guardd to free the slot when it is done. */
static void abandon(WatchFile *f, unsigned slot, uint64_t armed, WatchResult *ret) {
        __atomic_store_n(&f->slots[slot].ret, ret_of(armed, WATCH_RET_ABANDONED), __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&f->words[slot], __ATOMIC_SEQ_CST) == armed &&
            take_result(f, slot, armed, ret))
                return;
        read_result(&f->slots[slot], false, ret);
}

/**
 * watch_finish() - the call returned: end the slot and read what guardd
 * did. A cut in progress is waited for, up to WATCH_FINISH_WAIT_USEC.
 * @f: table
 * @slot: the slot
 * @armed: its armed word
 * @ret: what guardd did; exact unless the wait ran out
 */
void watch_finish(WatchFile *f, unsigned slot, uint64_t armed, WatchResult *ret) {
        uint64_t cutting = WATCH_WORD_AS(armed, WATCH_CUTTING);
        uint64_t now = 0, until = 0;

        __atomic_store_n(&f->slots[slot].ret, ret_of(armed, WATCH_RET_RETURNED), __ATOMIC_SEQ_CST);
        for (;;) {
                uint64_t w = __atomic_load_n(&f->words[slot], __ATOMIC_SEQ_CST);

                if (w == armed) {
                        if (take_result(f, slot, armed, ret))
                                return;
                        continue;
                }
                if (w != cutting) {
                        /* Taken back: guardd had given up on us, nothing to read. */
                        *ret = (WatchResult){};
                        return;
                }
                /* The wait starts at the first look at a cut in progress:
                 * a call guardd left alone (nearly all) reads no clock. */
                if (raw_clock_monotonic(&now) < 0 || (until != 0 && now >= until)) {
                        abandon(f, slot, armed, ret);
                        return;
                }
                if (until == 0)
                        until = now + WATCH_FINISH_WAIT_USEC;
                (void) raw_futex_wait_until(word_futex(f, slot), (uint32_t) cutting, until);
        }
}

/**
 * watch_returned() - has the login of @armed said @how (WATCH_RET_*)?
 * @f: table
 * @slot: slot
 * @armed: its armed word
 * @how: WATCH_RET_RETURNED or WATCH_RET_ABANDONED
 *
 * Return: true when it has.
 */
bool watch_returned(const WatchFile *f, unsigned slot, uint64_t armed, unsigned how) {
        uint32_t r = __atomic_load_n(&f->slots[slot].ret, __ATOMIC_SEQ_CST);

        return r == ret_of(armed, how);
}

/**
 * watch_pass_begin() - (guardd) take the slot for one look: judging and
 * maybe cutting. Refused when the call has returned meanwhile.
 * @f: table
 * @slot: slot
 * @armed: its armed word
 *
 * Return: true when guardd may act on the call now; end with watch_pass_end().
 */
bool watch_pass_begin(WatchFile *f, unsigned slot, uint64_t armed) {
        uint64_t w = armed;

        if (!__atomic_compare_exchange_n(&f->words[slot], &w, WATCH_WORD_AS(armed, WATCH_CUTTING),
                                         false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
                return false;
        if (!watch_returned(f, slot, armed, WATCH_RET_RETURNED) &&
            !watch_returned(f, slot, armed, WATCH_RET_ABANDONED))
                return true;
        watch_pass_end(f, slot, armed);
        return false;
}

/**
 * watch_pass_end() - (guardd) give the slot back after a look, waking a
 * login that waits for it; free it when that login stopped waiting.
 * @f: table
 * @slot: slot
 * @armed: its armed word
 */
void watch_pass_end(WatchFile *f, unsigned slot, uint64_t armed) {
        __atomic_store_n(&f->words[slot], armed, __ATOMIC_SEQ_CST);
        raw_futex_wake(word_futex(f, slot));
        if (watch_returned(f, slot, armed, WATCH_RET_ABANDONED))
                (void) watch_release(f, slot, armed);
}

/**
 * watch_release() - free a slot whose login is gone (or stopped waiting,
 * or never finished claiming it), if its word is still @word.
 * @f: table
 * @slot: slot
 * @word: the word it had when judged gone
 *
 * Return: true when freed.
 */
bool watch_release(WatchFile *f, unsigned slot, uint64_t word) {
        return __atomic_compare_exchange_n(&f->words[slot], &word, free_word(word), false,
                                           __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}
