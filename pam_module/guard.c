/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The deadline watchdog. Why shutdown() of the call's own sockets: the
 * wrapped module must run in the caller's process (logind ties the session
 * to the caller's PID, PAM data set in a child would be lost), and signals
 * do not help (sd-bus retries on EINTR). A socket shut down under a blocked
 * ppoll() wakes it with POLLHUP, and the module sees a broken connection.
 * Sockets that existed before the call belong to the program (sshd's
 * client connection) and are never touched.
 */
#include "guard.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "io-util.h"
#include "macro.h"

/* After the deadline, sockets opened later (an error message to a stuck
 * /dev/log, a retry) are cut on this period until the call returns. */
#define GUARD_RECUT_USEC (250 * USEC_PER_MSEC)
#define GUARD_STACK_SIZE ((size_t) 64 * 1024)

typedef struct Watchdog {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool done;
        bool fired;
        uint64_t deadline_abs;
        SockSet keep; /* never cut */
        SockSet cut;
        int error;
} Watchdog;

static void abs_timespec(uint64_t usec, struct timespec *ts) {
        ts->tv_sec = (time_t) (usec / USEC_PER_SEC);
        ts->tv_nsec = (long) ((usec % USEC_PER_SEC) * NSEC_PER_USEC);
}

static int cut_one(int fd, ino_t ino, void *userdata) {
        Watchdog *w = userdata;
        struct stat st;

        if (sockset_contains(&w->keep, ino) || sockset_contains(&w->cut, ino))
                return 0;
        /* The fd may have been closed and reused since readlink(): cut only
         * if it is still the same socket. */
        if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_ino != ino)
                return 0;
        (void) shutdown(fd, SHUT_RDWR);
        return sockset_add(&w->cut, ino);
}

/* Called with w->lock held; returns with it held. */
static void wait_until(Watchdog *w, uint64_t abs_usec) {
        struct timespec ts;

        abs_timespec(abs_usec, &ts);
        while (!w->done)
                if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) == ETIMEDOUT)
                        break;
}

static void *watchdog_main(void *userdata) {
        Watchdog *w = userdata;
        uint64_t next = w->deadline_abs;

        (void) pthread_mutex_lock(&w->lock);
        for (;;) {
                wait_until(w, next);
                if (w->done)
                        break;
                w->fired = true;
                /* Only this thread touches keep/cut until it is joined. */
                (void) pthread_mutex_unlock(&w->lock);
                w->error = sockset_foreach_fd(cut_one, w);
                (void) pthread_mutex_lock(&w->lock);
                next = now_usec(CLOCK_MONOTONIC) + GUARD_RECUT_USEC;
        }
        (void) pthread_mutex_unlock(&w->lock);
        return NULL;
}

static int watchdog_init(Watchdog *w, uint64_t deadline_abs) {
        pthread_condattr_t ca;
        int r;

        *w = (Watchdog){ .deadline_abs = deadline_abs };
        r = pthread_condattr_init(&ca);
        if (r != 0)
                return -r;
        r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        if (r == 0)
                r = pthread_cond_init(&w->cond, &ca);
        (void) pthread_condattr_destroy(&ca);
        if (r != 0)
                return -r;
        r = pthread_mutex_init(&w->lock, NULL);
        if (r != 0) {
                (void) pthread_cond_destroy(&w->cond);
                return -r;
        }
        return 0;
}

static void watchdog_done(Watchdog *w) {
        (void) pthread_mutex_destroy(&w->lock);
        (void) pthread_cond_destroy(&w->cond);
        sockset_done(&w->keep);
        sockset_done(&w->cut);
}

/* The watchdog must never run the program's signal handlers: it is
 * started with every signal blocked. */
static int start_thread(pthread_t *ret, Watchdog *w) {
        sigset_t all, old;
        pthread_attr_t attr;
        int r;

        r = pthread_attr_init(&attr);
        if (r != 0)
                return -r;
        (void) pthread_attr_setstacksize(&attr, GUARD_STACK_SIZE);
        (void) sigfillset(&all);
        (void) pthread_sigmask(SIG_SETMASK, &all, &old);
        r = pthread_create(ret, &attr, watchdog_main, w);
        (void) pthread_sigmask(SIG_SETMASK, &old, NULL);
        (void) pthread_attr_destroy(&attr);
        return -r;
}

static void stop_thread(pthread_t t, Watchdog *w) {
        (void) pthread_mutex_lock(&w->lock);
        w->done = true;
        (void) pthread_cond_signal(&w->cond);
        (void) pthread_mutex_unlock(&w->lock);
        (void) pthread_join(t, NULL);
}

/* The sockets the call may not cut: all open now, less those it is
 * allowed to (sockets the wrapped module opened during open_session). */
static int build_keep(const GuardCall *call, SockSet *keep) {
        SockSet now = {};
        int r;

        r = sockset_snapshot(&now);
        if (r < 0)
                return r;
        for (size_t i = 0; i < now.n && r >= 0; i++)
                if (!call->cuttable || !sockset_contains(call->cuttable, now.ino[i]))
                        r = sockset_add(keep, now.ino[i]);
        sockset_done(&now);
        return r;
}

static int collect_opened(const Watchdog *w, SockSet *ret) {
        SockSet now = {}, opened = {};
        int r;

        r = sockset_snapshot(&now);
        for (size_t i = 0; r >= 0 && i < now.n; i++)
                if (!sockset_contains(&w->keep, now.ino[i]))
                        r = sockset_add(&opened, now.ino[i]);
        sockset_done(&now);
        if (r < 0) {
                sockset_done(&opened);
                return r;
        }
        *ret = opened;
        return 0;
}

/**
 * guard_call() - run @call->fn, cutting its sockets at the deadline.
 * @call: what to call and how long it may take
 * @ret: outcome; @ret->opened must be released with sockset_done()
 *
 * Return: 0 when the call ran (whatever it answered), -errno when it could
 * not be guarded (no thread, no memory); then it was not called.
 */
int guard_call(const GuardCall *call, GuardResult *ret) {
        Watchdog w;
        pthread_t t = 0;
        uint64_t start;
        int r;

        start = now_usec(CLOCK_MONOTONIC);
        r = watchdog_init(&w, start + call->deadline_usec);
        if (r < 0)
                return r;
        r = build_keep(call, &w.keep);
        if (r >= 0)
                r = start_thread(&t, &w);
        if (r < 0) {
                watchdog_done(&w);
                return r;
        }

        *ret = (GuardResult){};
        ret->rc = call->fn(call->pamh, call->flags, call->argc, call->argv);
        ret->elapsed_usec = now_usec(CLOCK_MONOTONIC) - start;
        stop_thread(t, &w);

        ret->fired = w.fired;
        ret->n_cut = (unsigned) w.cut.n;
        /* Only open_session's connections matter later (close may cut
         * them). Best effort: without it close just cannot cut them. */
        if (call->collect_opened)
                (void) collect_opened(&w, &ret->opened);
        watchdog_done(&w);
        return 0;
}
