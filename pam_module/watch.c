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

/* What guardd's lock showed this process when it mapped (or looked at)
 * the table: the holder's pid in our namespace, for the process (our pid)
 * and the guardd (guardd_run) it was read for. A process never changes its
 * own pid namespace (setns() and unshare() apply to its children); a child
 * forked into another one has another pid, and looks again. */
static uint64_t probed_for; /* pid << 32 | guardd_run */
static int32_t probed_holder;

static uint64_t probe_key(pid_t pid, uint32_t run) {
        return (uint64_t) (uint32_t) pid << 32 | run;
}

static uint32_t guardd_run(const WatchFile *f) {
        return __atomic_load_n(&f->guardd_run, __ATOMIC_ACQUIRE);
}

/* @run read before the lock was looked at: a guardd that changed since is
 * a key of another run at the next call, which looks again. */
static void probe_store(pid_t pid, uint32_t run, int32_t holder) {
        __atomic_store_n(&probed_holder, holder, __ATOMIC_RELAXED);
        __atomic_store_n(&probed_for, probe_key(pid, run), __ATOMIC_RELEASE);
}

/* The same pid namespace as guardd's: the pid in our word is ours there.
 * The kernel named guardd's lock holder to us by the pid guardd has in its
 * own namespace, which watch_file_hold() publishes only when no other
 * namespace above it numbers guardd the same; from a namespace below
 * guardd's the holder has no pid (0). */
static bool same_pidns(const WatchFile *f, pid_t pid) {
        int32_t theirs = __atomic_load_n(&f->guardd_pid, __ATOMIC_RELAXED);

        if (__atomic_load_n(&probed_for, __ATOMIC_ACQUIRE) != probe_key(pid, guardd_run(f)))
                return false;
        return theirs > 0 && __atomic_load_n(&probed_holder, __ATOMIC_RELAXED) == theirs;
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
 * The lock's holder is read with each mapping, and again when this
 * process or guardd is not the one it was read for (same_pidns()).
 * @dir_fd: the state directory
 * @pid: getpid()
 * @ret_error: why a mapping failed (0 when none was tried or it worked)
 *
 * Return: the table, or NULL.
 */
WatchFile *watch_table(int dir_fd, pid_t pid, int *ret_error) {
        static WatchFile *cached;
        static uint64_t last_try;
        static unsigned remaps;
        WatchFile *f = __atomic_load_n(&cached, __ATOMIC_ACQUIRE);
        uint64_t now = now_usec(CLOCK_MONOTONIC),
                 last = __atomic_load_n(&last_try, __ATOMIC_RELAXED);
        WatchMap m = {};

        *ret_error = 0;
        if (f && watch_file_fresh(f, now)) {
                uint32_t run = guardd_run(f);

                if (__atomic_load_n(&probed_for, __ATOMIC_ACQUIRE) != probe_key(pid, run)) {
                        int32_t holder;

                        (void) watch_file_probe(dir_fd, 0, &holder);
                        probe_store(pid, run, holder);
                }
                return f;
        }
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
        probe_store(pid, m.holder_run, m.holder);
        return m.file;
}
