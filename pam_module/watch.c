/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The call watched by guardd. Everything that could make guardd's watch
 * unsound sends the call to the thread instead (-EAGAIN): no table, a
 * stale heartbeat (guardd stopped or gone), another pid namespace than
 * guardd's (its pids are not ours), a socket table too large for a slot, a
 * deadline shorter than two of guardd's ticks, no free slot. The handoff
 * itself, both sides of it, is common/watch-file.c's: watch_begin() before
 * the call, watch_finish() after.
 *
 * Nothing here is a secret or an address: guardd learns who we are from
 * the kernel (the pid in the claimed word, our start time in /proc), not
 * from our memory.
 */
#include "watch.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io-util.h"
#include "macro.h"

#define WATCH_REMAP_USEC (5 * USEC_PER_SEC)
#define WATCH_REMAPS 8U

static bool keep_fits(const SockTable *t) {
        return t && !t->open && t->n <= WATCH_KEEP_MAX;
}

/* Where guardd stops reading our descriptors. A limit up to
 * WATCH_FD_LIMIT_MAX: that limit (nothing can be opened above it). A
 * higher one: the table was listed whole and is small (a large one is
 * t->open, which the thread watches), so the lowest free numbers, where
 * the call's new sockets go, are below WATCH_FD_LIMIT_MAX. */
static int32_t scan_end(const SockTable *t) {
        return t->limit > 0 && t->limit <= WATCH_FD_LIMIT_MAX ? t->limit : WATCH_FD_LIMIT_MAX;
}

/* The same pid namespace as guardd's: the pid in our word is ours there.
 * A process never changes its own pid namespace (setns() and unshare()
 * apply to its children), so ours is looked up once a process: a child
 * forked into another namespace has another pid, and looks again. */
static bool same_pidns(const WatchFile *f, pid_t pid) {
        static uint64_t cached; /* pid << 32 | 1, then the inode: see below */
        static uint64_t cached_ino;
        uint64_t theirs = __atomic_load_n(&f->pidns_ino, __ATOMIC_RELAXED), mine;

        if (__atomic_load_n(&cached, __ATOMIC_ACQUIRE) == ((uint64_t) pid << 32 | 1U))
                mine = __atomic_load_n(&cached_ino, __ATOMIC_RELAXED);
        else {
                mine = watch_pidns_ino();
                __atomic_store_n(&cached_ino, mine, __ATOMIC_RELAXED);
                __atomic_store_n(&cached, (uint64_t) pid << 32 | 1U, __ATOMIC_RELEASE);
        }
        return theirs != 0 && theirs == mine;
}

/* Our slot, armed while guardd is watching: the slot, or -EAGAIN. */
static int arm(const GuardCall *call, pid_t pid, uint64_t start, uint64_t *ret_word) {
        const SockTable *k = call->keep;
        WatchKeep keep[WATCH_KEEP_MAX];
        WatchRequest r = {
                .user = call->user,
                .pid = (int32_t) pid,
                .flags = call->evidence ? WATCH_F_EVIDENCE : 0,
                .since_sec = call->evidence ? call->evidence->since_sec : (int64_t) time(NULL),
                .deadline_usec = start + call->deadline_usec,
                .patience_usec = start + MAX(call->patience_usec, call->deadline_usec),
                .keep = keep,
                .n_keep = (uint32_t) k->n,
                .fd_limit = scan_end(k),
                .filter = call->filter,
        };

        for (size_t i = 0; i < k->n; i++)
                keep[i] = (WatchKeep){ .fd = k->e[i].fd, .ino = (uint64_t) k->e[i].ino };
        return watch_begin(call->watch, &r, ret_word);
}

/**
 * watch_call() - run @call->fn with guardd as its watchdog.
 * @call: the call; @call->watch is guardd's table
 * @ret: outcome
 *
 * Return: 0 when the call ran; -EAGAIN when guardd cannot watch it (then
 * it was not called: the caller starts its own watchdog).
 */
int watch_call(const GuardCall *call, GuardResult *ret) {
        WatchResult res;
        uint64_t start, word = 0;
        pid_t pid;
        int slot;

        if (!call->watch || call->deadline_usec < WATCH_MIN_DEADLINE_USEC || !keep_fits(call->keep))
                return -EAGAIN;
        start = now_usec(CLOCK_MONOTONIC);
        pid = call->pid;
        if (!watch_file_fresh(call->watch, start) || !same_pidns(call->watch, pid))
                return -EAGAIN;
        slot = arm(call, pid, start, &word);
        if (slot < 0)
                return slot;
        *ret = (GuardResult){ .by_guardd = true };
        ret->rc = call->fn(call->pamh, call->flags, call->argc, call->argv);
        ret->elapsed_usec = now_usec(CLOCK_MONOTONIC) - start;
        watch_finish(call->watch, (unsigned) slot, word, &res);
        ret->fired = res.fired || ret->elapsed_usec >= call->deadline_usec;
        ret->n_cut = res.n_cut;
        /* Past the deadline we gave up waiting while guardd was cutting
         * (a starved guardd): it had not written what it cut yet, but the
         * call returned because of that cut. Counted as one, so the login
         * gets the cut's fallback, not a "late" call's (seen beside a CPU
         * hog in test-watch's burst: no LOGINGUARD_FALLBACK, no session). */
        if (!res.exact && ret->fired && ret->n_cut == 0)
                ret->n_cut = 1;
        ret->waited = res.waited;
        ret->patience_over = res.patience_over;
        return 0;
}

/**
 * watch_table() - guardd's watch table, mapped once for the life of the
 * process like the wrapped module's handle (target.c): mapping it costs
 * more than the whole watch. When the heartbeat in the mapping is stale
 * (guardd stopped, or it made a fresh table), another mapping is tried,
 * every WATCH_REMAP_USEC and WATCH_REMAPS times at most; a replaced
 * mapping is never unmapped, as another thread may still use it.
 * @dir_fd: the state directory
 * @ret_error: why a mapping failed (0 when none was tried or it worked)
 *
 * Return: the table, or NULL.
 */
WatchFile *watch_table(int dir_fd, int *ret_error) {
        static WatchFile *cached;
        static uint64_t last_try;
        static unsigned remaps;
        WatchFile *f = __atomic_load_n(&cached, __ATOMIC_ACQUIRE);
        uint64_t now = now_usec(CLOCK_MONOTONIC),
                 last = __atomic_load_n(&last_try, __ATOMIC_RELAXED);
        WatchMap m = {};

        *ret_error = 0;
        if (f && watch_file_fresh(f, now))
                return f;
        if (last != 0 && (now < last + WATCH_REMAP_USEC ||
                          __atomic_load_n(&remaps, __ATOMIC_RELAXED) >= WATCH_REMAPS))
                return f;
        if (!__atomic_compare_exchange_n(&last_try, &last, now, false, __ATOMIC_RELAXED,
                                         __ATOMIC_RELAXED))
                return f; /* another thread is trying */
        if (f)
                (void) __atomic_fetch_add(&remaps, 1, __ATOMIC_RELAXED);
        *ret_error = watch_file_map(dir_fd, 0, false, &m);
        if (*ret_error < 0)
                return f;
        if (!__atomic_compare_exchange_n(&cached, &f, m.file, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE)) {
                watch_file_unmap(&m);
                return f;
        }
        return m.file;
}
