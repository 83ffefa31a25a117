/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The deadline watchdog. Why shutdown() of the call's own sockets: the
 * wrapped module must run in the caller's process and thread (logind ties
 * the session to the caller's PID, PAM data set elsewhere would be lost),
 * and signals do not help (sd-bus retries on EINTR, and the program owns
 * its signal handlers). A socket shut down under a blocked ppoll() wakes it
 * with POLLHUP, and the module sees a broken connection.
 *
 * Why clone() and not pthread_create(): a fresh pthread costs 40 to 150 us
 * here (stack mmap, guard page, TLS setup, and the stack's madvise at
 * exit), twice a login; a bare thread on a heap stack costs under 20 us.
 * The bare thread runs on the caller's TLS, which is why everything it
 * calls (sockset.c, evidence.c) avoids errno, malloc and stdio and issues
 * raw system calls. It starts with every signal blocked, so the program's
 * handlers never run on it, exits with the exit system call, and is joined
 * through CLONE_CHILD_CLEARTID before guard_call() returns: no thread ever
 * outlives the call. Sanitizer builds and other architectures use a
 * pthread with the same body.
 */
#include "guard.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "io-util.h"
#include "macro.h"
#include "rawsys.h"
#include "status.h"
#include "watch.h"

#if RAW_SYSCALLS && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define GUARD_USE_CLONE 1
#else
#define GUARD_USE_CLONE 0
#endif

/* After the deadline the watchdog looks again on this period: at evidence
 * that went away, and at sockets opened since (a retry, an error message to
 * a stuck /dev/log). */
#define GUARD_RECUT_USEC (250 * USEC_PER_MSEC)
#define GUARD_STACK_SIZE ((size_t) 32 * 1024)

typedef struct Watchdog {
        /* set before the thread starts, read-only for it */
        uint64_t deadline_abs;
        uint64_t patience_abs;
        const SockTable *keep;
        const CutFilter *filter;
        const Evidence *evidence;
        /* shared */
        uint32_t done; /* futex: the call returned */
        pid_t tid; /* cleared by the kernel when the thread is gone */
        pthread_t pthread;
        /* the thread's results, read after the join */
        bool fired;
        unsigned n_cut;
        unsigned waited;
        bool patience_over;
        CutMemory mem;
        char file[STATUS_MAX_SIZE + 1];
        /* getdents64() records are read in place: 8-byte aligned like them. */
        char dents[8192] __attribute__((aligned(8)));
        char stack[] __attribute__((aligned(64)));
} Watchdog;

/* Sleeps until the call returned (true) or @abs_usec passed (false). */
static bool wait_done(Watchdog *w, uint64_t abs_usec) {
        for (;;) {
                uint64_t now = 0;

                if (__atomic_load_n(&w->done, __ATOMIC_ACQUIRE))
                        return true;
                if (raw_clock_monotonic(&now) < 0 || now >= abs_usec)
                        return false;
                (void) raw_futex_wait_until(&w->done, 0, abs_usec);
        }
}

static int watchdog_main(void *userdata) {
        Watchdog *w = userdata;
        uint64_t next = w->deadline_abs, now = 0;

        while (!wait_done(w, next)) {
                unsigned why;

                w->fired = true;
                why = evidence_judge(w->evidence, w->file, sizeof(w->file), w->dents,
                                     sizeof(w->dents));
                (void) raw_clock_monotonic(&now);
                if (why && now < w->patience_abs) {
                        w->waited |= why;
                        next = MIN(now + GUARD_RECUT_USEC, w->patience_abs);
                        continue;
                }
                if (why)
                        w->patience_over = true;
                w->n_cut += sockets_cut_new(w->keep, w->filter, &w->mem, w->dents,
                                            sizeof(w->dents));
                next = now + GUARD_RECUT_USEC;
        }
        return 0;
}

#if !GUARD_USE_CLONE
static void *watchdog_pthread(void *userdata) {
        (void) watchdog_main(userdata);
        return NULL;
}
#endif

static int start_thread(Watchdog *w) {
        sigset_t all, old;
        int r;

        (void) sigfillset(&all);
        (void) pthread_sigmask(SIG_SETMASK, &all, &old);
#if GUARD_USE_CLONE
        r = clone(watchdog_main, w->stack + GUARD_STACK_SIZE,
                  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                          CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
                  w, &w->tid, NULL, &w->tid);
        r = r < 0 ? -errno : 0;
#else
        {
                pthread_attr_t attr;

                r = -pthread_attr_init(&attr);
                if (r == 0) {
                        (void) pthread_attr_setstack(&attr, w->stack, GUARD_STACK_SIZE);
                        r = -pthread_create(&w->pthread, &attr, watchdog_pthread, w);
                        (void) pthread_attr_destroy(&attr);
                }
        }
#endif
        (void) pthread_sigmask(SIG_SETMASK, &old, NULL);
        return r;
}

#if GUARD_USE_CLONE
/* Moves the sleeping watchdog onto the caller's CPU before waking it: its
 * wake-up, exit and the caller's wake-up then stay on one CPU instead of
 * two cross-CPU wake-ups of an idle CPU (40 to 60 us in a VM). */
static void bring_near(const Watchdog *w) {
        int cpu = sched_getcpu();
        cpu_set_t set;

        if (cpu < 0 || cpu >= CPU_SETSIZE)
                return;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        (void) sched_setaffinity(w->tid, sizeof(set), &set);
}
#endif

static void stop_thread(Watchdog *w) {
#if GUARD_USE_CLONE
        bring_near(w);
#endif
        __atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
        raw_futex_wake(&w->done);
#if GUARD_USE_CLONE
        for (;;) {
                pid_t t = __atomic_load_n(&w->tid, __ATOMIC_ACQUIRE);

                if (t == 0)
                        break;
                (void) raw_futex_wait((uint32_t *) &w->tid, (uint32_t) t);
        }
#else
        (void) pthread_join(w->pthread, NULL);
#endif
}

/* The call with a watchdog thread of our own. */
static int guard_by_thread(const GuardCall *call, GuardResult *ret) {
        _cleanup_free_ Watchdog *w = NULL;
        uint64_t start;
        int r;

        w = malloc(sizeof(*w) + GUARD_STACK_SIZE);
        if (!w)
                return -ENOMEM;
        start = now_usec(CLOCK_MONOTONIC);
        w->deadline_abs = start + call->deadline_usec;
        w->patience_abs = start + MAX(call->patience_usec, call->deadline_usec);
        w->keep = call->keep;
        w->filter = call->filter;
        w->evidence = call->evidence;
        w->done = 0;
        w->tid = 0;
        w->fired = w->patience_over = false;
        w->n_cut = w->waited = 0;
        w->mem.n = 0;
        r = start_thread(w);
        if (r < 0)
                return r;

        *ret = (GuardResult){};
        ret->rc = call->fn(call->pamh, call->flags, call->argc, call->argv);
        ret->elapsed_usec = now_usec(CLOCK_MONOTONIC) - start;
        stop_thread(w);
        ret->fired = w->fired;
        ret->n_cut = w->n_cut;
        ret->waited = w->waited;
        ret->patience_over = w->patience_over;
        return 0;
}

/**
 * guard_call() - run @call->fn under the deadline, cutting its sockets when
 * it is stuck and nothing says logind is completing it: watched by guardd
 * when it is watching, else by a thread of our own.
 * @call: what to call, how long it may take, what it may cut
 * @ret: outcome
 *
 * Return: 0 when the call ran (whatever it answered); -errno when it could
 * not be guarded (no memory, no thread): then it was not called.
 */
int guard_call(const GuardCall *call, GuardResult *ret) {
        int r = watch_call(call, ret);

        return r == -EAGAIN ? guard_by_thread(call, ret) : r;
}
