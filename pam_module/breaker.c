/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Breaker state machine and its file. closed -> open after `trip` slow or
 * cut calls within `window`; open -> one trial after `cooldown` (claimed
 * under the lock, so exactly one process gets it); trial in time -> closed;
 * trial slow or cut -> open, cooldown doubled up to 10 minutes. A trial
 * whose owner died is reclaimed after twice the deadline plus a margin.
 * The file reuses the status line format (common/status.c).
 */
#include "breaker.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io-util.h"
#include "macro.h"
#include "parse-util.h"
#include "status.h"

#define BREAKER_FILE_MAX 4096U
#define TRIAL_MARGIN_USEC (5 * USEC_PER_SEC)

static const char *const state_names[_BREAKER_STATE_MAX] = {
        [BREAKER_CLOSED] = "closed",
        [BREAKER_OPEN] = "open",
        [BREAKER_HALF_OPEN] = "half-open",
};

const char *breaker_state_to_string(BreakerState s) {
        return s >= 0 && s < _BREAKER_STATE_MAX ? state_names[s] : NULL;
}

static BreakerState breaker_state_from_string(const char *s) {
        for (int i = 0; s && i < _BREAKER_STATE_MAX; i++)
                if (strcmp(state_names[i], s) == 0)
                        return (BreakerState) i;
        return _BREAKER_STATE_INVALID;
}

/* The state directory must be root's (or ours) and not writable by others,
 * or anybody could plant a breaker file that skips logind for everyone. */
static int open_state_dir(const char *path) {
        struct stat st;
        int fd;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && mkdir(path, 0755) >= 0)
                fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP ? -ENOTDIR : -errno;
        if (fstat(fd, &st) < 0 || (st.st_uid != 0 && st.st_uid != geteuid()) ||
            (st.st_mode & (S_IWGRP | S_IWOTH))) {
                (void) close(fd);
                return -EPERM;
        }
        return fd;
}

/**
 * breaker_file_open() - open the breaker of @target in @state_dir.
 * @state_dir: directory (created 0755 when missing)
 * @target: wrapped module name, e.g. "pam_systemd"
 * @ret: handle for the other calls
 *
 * Return: 0; -EPERM when the directory is not trustworthy; other -errno.
 */
int breaker_file_open(const char *state_dir, const char *target, BreakerFile *ret) {
        int fd;

        fd = open_state_dir(state_dir);
        if (fd < 0)
                return fd;
        *ret = (BreakerFile){ .dir_fd = fd };
        (void) snprintf(ret->name, sizeof(ret->name), "breaker-%s", target);
        (void) snprintf(ret->lock_name, sizeof(ret->lock_name), "breaker-%s.lock", target);
        return 0;
}

void breaker_file_close(BreakerFile *f) {
        if (f->dir_fd >= 0)
                (void) close(f->dir_fd);
        f->dir_fd = -EBADF;
}

static int parse_bad_list(const char *v, Breaker *b) {
        while (v && *v && b->n_bad < BREAKER_BAD_MAX) {
                char buf[32];
                size_t n = strcspn(v, ",");

                if (n == 0 || n >= sizeof(buf))
                        return -EINVAL;
                memcpy(buf, v, n);
                buf[n] = '\0';
                if (parse_u64(buf, &b->bad[b->n_bad]) < 0)
                        return -EINVAL;
                b->n_bad++;
                v += n + (v[n] == ',');
        }
        return 0;
}

static const struct {
        const char *key;
        size_t offset;
} breaker_numbers[] = {
        { "OPENED_USEC", offsetof(Breaker, opened_usec) },
        { "COOLDOWN_USEC", offsetof(Breaker, cooldown_usec) },
        { "TRIAL_USEC", offsetof(Breaker, trial_usec) },
        { "TRIAL_PID", offsetof(Breaker, trial_pid) },
        { "CALLS", offsetof(Breaker, calls) },
        { "SKIPS", offsetof(Breaker, skips) },
        { "CUTS", offsetof(Breaker, cuts) },
        { "SLOW", offsetof(Breaker, slow) },
        { "FALLBACKS", offsetof(Breaker, fallbacks) },
        { "LAST_USEC", offsetof(Breaker, last_usec) },
        { "UPDATED_MONOTONIC_USEC", offsetof(Breaker, updated_usec) },
};

/**
 * breaker_parse() - parse a breaker file.
 * @text: contents
 * @len: length
 * @ret: state; untouched on failure
 *
 * Return: 0, -EBADMSG when corrupt, -ENOMEM.
 */
int breaker_parse(const char *text, size_t len, Breaker *ret) {
        _cleanup_(status_freep) Status *s = NULL;
        Breaker b = {};
        int r;

        r = status_parse(text, len, &s, NULL);
        if (r != 0)
                return r < 0 ? r : -EBADMSG;
        b.state = breaker_state_from_string(status_get(s, "STATE"));
        if (b.state < 0)
                return -EBADMSG;
        for (size_t i = 0; i < ELEMENTSOF(breaker_numbers); i++) {
                uint64_t *field = (uint64_t *) ((char *) &b + breaker_numbers[i].offset);
                r = status_get_u64(s, breaker_numbers[i].key, field);
                if (r < 0 && r != -ENOENT)
                        return -EBADMSG;
        }
        if (parse_bad_list(status_get(s, "BAD"), &b) < 0)
                return -EBADMSG;
        *ret = b;
        return 0;
}

static int format_bad_list(const Breaker *b, char *buf, size_t size) {
        size_t used = 0;

        buf[0] = '\0';
        for (unsigned i = 0; i < b->n_bad; i++) {
                int n = snprintf(buf + used, size - used, "%s%" PRIu64, i ? "," : "", b->bad[i]);
                if (n < 0 || (size_t) n >= size - used)
                        return -ENOBUFS;
                used += (size_t) n;
        }
        return 0;
}

/**
 * breaker_format() - render @b as breaker file text.
 * @b: state
 * @now: CLOCK_MONOTONIC now, recorded as UPDATED_MONOTONIC_USEC
 * @ret: malloc'd text
 * @ret_len: its length
 *
 * Return: 0 or -errno.
 */
int breaker_format(const Breaker *b, uint64_t now, char **ret, size_t *ret_len) {
        _cleanup_(status_freep) Status *s = NULL;
        char bad[BREAKER_BAD_MAX * 21 + 1];
        int r;

        r = status_new(&s);
        if (r < 0)
                return r;
        r = status_set(s, "STATE", breaker_state_to_string(b->state));
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(breaker_numbers); i++)
                r = status_set_u64(
                        s, breaker_numbers[i].key,
                        *(const uint64_t *) ((const char *) b + breaker_numbers[i].offset));
        if (r >= 0)
                r = format_bad_list(b, bad, sizeof(bad));
        if (r >= 0)
                r = status_set(s, "BAD", bad);
        if (r >= 0)
                r = status_set_u64(s, "UPDATED_MONOTONIC_USEC", now); /* overrides b's */
        if (r < 0)
                return r;
        return status_format(s, ret, ret_len);
}

/**
 * breaker_load() - read the breaker; a missing or corrupt file reads as a
 * fresh closed breaker, so a damaged file never blocks a login.
 * @f: breaker file
 * @ret: state
 *
 * Return: 0 when read; -ENOENT when missing; -EBADMSG when corrupt or
 * untrusted (both with @ret reset to closed).
 */
int breaker_load(const BreakerFile *f, Breaker *ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        *ret = (Breaker){};
        r = read_trusted_file(f->dir_fd, f->name, geteuid(), BREAKER_FILE_MAX, &buf, &len);
        if (r > 0)
                return -EBADMSG;
        if (r < 0)
                return r;
        r = breaker_parse(buf, len, ret);
        if (r < 0)
                *ret = (Breaker){};
        return r;
}

static int breaker_save(const BreakerFile *f, const Breaker *b, uint64_t now) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = breaker_format(b, now, &text, &len);
        if (r < 0)
                return r;
        /* /run is tmpfs: no fsync; a crash loses the breaker, which is fine. */
        return write_file_atomic(f->dir_fd, f->name, text, len, 0644, false);
}

typedef int (*breaker_update_fn)(Breaker *b, const Config *c, uint64_t now, void *userdata);

/* Read-modify-write under a non-blocking lock: -EBUSY when another
 * process holds it; the caller carries on without the update. */
static int breaker_update(const BreakerFile *f, const Config *c, uint64_t now, breaker_update_fn fn,
                          void *userdata) {
        _cleanup_close_ int lock_fd = -EBADF;
        Breaker b;
        int r;

        lock_fd = openat(f->dir_fd, f->lock_name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (lock_fd < 0)
                return -errno;
        if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : -errno;
        (void) breaker_load(f, &b); /* missing or corrupt: start from closed */
        r = fn(&b, c, now, userdata);
        if (r <= 0)
                return r;
        return breaker_save(f, &b, now);
}

static uint64_t trial_timeout(const Config *c) {
        return 2 * c->deadline_usec + TRIAL_MARGIN_USEC;
}

static bool trial_due(const Breaker *b, const Config *c, uint64_t now) {
        uint64_t cooldown = b->cooldown_usec ? b->cooldown_usec : c->cooldown_usec;

        if (b->state == BREAKER_OPEN)
                return now >= b->opened_usec + cooldown;
        if (b->state == BREAKER_HALF_OPEN)
                return now >= b->trial_usec + trial_timeout(c);
        return false;
}

static int claim_trial(Breaker *b, const Config *c, uint64_t now, void *userdata) {
        bool *claimed = userdata;

        if (!trial_due(b, c, now))
                return 0;
        b->state = BREAKER_HALF_OPEN;
        b->trial_usec = now;
        b->trial_pid = (uint64_t) getpid();
        *claimed = true;
        return 1;
}

/**
 * breaker_decide() - may this caller call the wrapped module?
 * @f: breaker file
 * @c: config (cooldown, deadline)
 * @now: CLOCK_MONOTONIC now
 * @ret: the verdict
 *
 * Return: 0 (errors reading the file decide BREAKER_CALL).
 */
int breaker_decide(const BreakerFile *f, const Config *c, uint64_t now, BreakerVerdict *ret) {
        bool claimed = false;
        Breaker b;

        (void) breaker_load(f, &b);
        if (b.state == BREAKER_CLOSED) {
                *ret = b.updated_usec + BREAKER_QUIET_USEC > now && b.updated_usec <= now
                               ? BREAKER_CALL_QUIET
                               : BREAKER_CALL;
                return 0;
        }
        if (!trial_due(&b, c, now)) {
                *ret = BREAKER_SKIP;
                return 0;
        }
        /* Busy lock: somebody else is updating, likely claiming the trial. */
        (void) breaker_update(f, c, now, claim_trial, &claimed);
        *ret = claimed ? BREAKER_TRIAL : BREAKER_SKIP;
        return 0;
}

static unsigned bad_within(const Breaker *b, uint64_t now, uint64_t window) {
        unsigned n = 0;

        for (unsigned i = 0; i < b->n_bad; i++)
                if (b->bad[i] + window >= now)
                        n++;
        return n;
}

static void push_bad(Breaker *b, uint64_t now) {
        if (b->n_bad == BREAKER_BAD_MAX) {
                memmove(b->bad, b->bad + 1, (BREAKER_BAD_MAX - 1) * sizeof(b->bad[0]));
                b->n_bad--;
        }
        b->bad[b->n_bad++] = now;
}

static void open_breaker(Breaker *b, uint64_t now, uint64_t cooldown) {
        b->state = BREAKER_OPEN;
        b->opened_usec = now;
        b->cooldown_usec = MIN(cooldown, BREAKER_COOLDOWN_MAX_USEC);
}

typedef struct RecordArgs {
        CallOutcome outcome;
        uint64_t elapsed_usec;
        bool trial;
} RecordArgs;

static void record_bad(Breaker *b, const Config *c, uint64_t now, const RecordArgs *a) {
        bool mine =
                a->trial && b->state == BREAKER_HALF_OPEN && b->trial_pid == (uint64_t) getpid();

        if (a->outcome == OUTCOME_CUT) {
                b->cuts++;
                b->fallbacks++;
        } else
                b->slow++;
        push_bad(b, now);
        if (mine)
                open_breaker(b, now, 2 * (b->cooldown_usec ? b->cooldown_usec : c->cooldown_usec));
        else if (b->state == BREAKER_CLOSED && bad_within(b, now, c->window_usec) >= c->trip)
                open_breaker(b, now, c->cooldown_usec);
}

static int apply_outcome(Breaker *b, const Config *c, uint64_t now, void *userdata) {
        const RecordArgs *a = userdata;

        if (a->outcome == OUTCOME_SKIPPED) {
                b->skips++;
                b->fallbacks++;
                return 1;
        }
        b->calls++;
        b->last_usec = a->elapsed_usec;
        if (a->outcome != OUTCOME_OK)
                record_bad(b, c, now, a);
        else if (a->trial && b->state == BREAKER_HALF_OPEN && b->trial_pid == (uint64_t) getpid()) {
                b->state = BREAKER_CLOSED;
                b->cooldown_usec = 0;
                b->n_bad = 0;
        }
        return 1;
}

/**
 * breaker_record() - account for one call or skip. A healthy call after a
 * BREAKER_CALL_QUIET verdict is not recorded: rewriting the file on every
 * healthy login costs more than the counter is worth (see BENCHMARKS.md);
 * callers simply do not call this then.
 * @f: breaker file
 * @c: config
 * @now: CLOCK_MONOTONIC now
 * @outcome: what happened
 * @elapsed_usec: how long the wrapped call took
 * @trial: this caller held the half-open trial
 *
 * Return: 0; -EBUSY when the lock was busy and the update was skipped;
 * other -errno.
 */
int breaker_record(const BreakerFile *f, const Config *c, uint64_t now, CallOutcome outcome,
                   uint64_t elapsed_usec, bool trial) {
        RecordArgs a = { .outcome = outcome, .elapsed_usec = elapsed_usec, .trial = trial };

        return breaker_update(f, c, now, apply_outcome, &a);
}
