/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /proc/thread-self/schedstat: nanoseconds on a CPU, nanoseconds runnable
 * but waiting for one, timeslices. Both times are ones in which the event
 * loop could not have read an answer that had come.
 */
#include "own-time.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "io-util.h"
#include "macro.h"

/**
 * own_lost_usec() - this thread's time on a CPU plus its time waiting for
 * one, since it started.
 *
 * Return: microseconds; 0 when the kernel does not say (no discount then).
 */
uint64_t own_lost_usec(void) {
        _cleanup_close_ int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
        uint64_t on_cpu, waiting;
        char buf[96];
        ssize_t n;

        if (fd < 0)
                return 0;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        if (sscanf(buf, "%" SCNu64 " %" SCNu64, &on_cpu, &waiting) != 2)
                return 0;
        return (on_cpu + waiting) / 1000;
}

/**
 * own_attended_usec() - how long guardd was there to read an answer since
 * @started: the time since, less what it lost meanwhile. Pure.
 * @started: when the call went out (CLOCK_MONOTONIC usec)
 * @lost_at_start: own_lost_usec() then
 * @lost_now: own_lost_usec() now
 * @now: CLOCK_MONOTONIC usec
 *
 * Return: microseconds, 0 at least.
 */
uint64_t own_attended_usec(uint64_t started, uint64_t lost_at_start, uint64_t lost_now,
                           uint64_t now) {
        uint64_t elapsed = now > started ? now - started : 0;
        uint64_t lost = lost_now > lost_at_start ? lost_now - lost_at_start : 0;

        return elapsed > lost ? elapsed - lost : 0;
}

/**
 * own_deadline_passed() - whether a call's deadline has passed and it had
 * that long of guardd's attention. A quarter of the deadline is forgiven, so that guardd's usual
 * work in a round (a census of a few thousand tasks: ~100 ms) does not put
 * a verdict off; more than that and the round is guardd's lateness. Pure.
 * @started: when the call went out
 * @lost_at_start: own_lost_usec() then
 * @lost_now: own_lost_usec() now
 * @now: CLOCK_MONOTONIC usec
 * @timeout: the probe deadline
 *
 * Return: true when the missing answer is evidence about the peer.
 */
bool own_deadline_passed(uint64_t started, uint64_t lost_at_start, uint64_t lost_now, uint64_t now,
                         uint64_t timeout) {
        if (now < started + timeout)
                return false;
        return own_attended_usec(started, lost_at_start, lost_now, now) + timeout / 4 >= timeout;
}
