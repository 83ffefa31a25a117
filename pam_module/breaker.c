/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Breaker state machine. closed -> open when `trip` calls were cut within
 * `window` since it last closed; open -> half-open when a root login claims
 * the trial after the cooldown; the trial answered (in time or late) ->
 * closed; the trial cut -> open again with the cooldown doubled, up to 10
 * minutes. A trial whose owner never reports (killed, stopped) is claimed
 * again after trial_timeout. A call that finished late but uncut is not
 * held against logind: it was completing the session (a slow user
 * manager, say; see pam_loginguard(8)).
 *
 * Healthy logins write nothing: no file means closed, and a closed breaker
 * needs no update for a call that answered.
 */
#include "breaker.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"

#define CAS_ATTEMPTS 8

static uint64_t load(const uint64_t *p) {
        return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void add(uint64_t *p, uint64_t v) {
        (void) __atomic_add_fetch(p, v, __ATOMIC_RELAXED);
}

static bool cas(uint64_t *p, uint64_t expected, uint64_t desired) {
        return __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_ACQ_REL,
                                           __ATOMIC_ACQUIRE);
}

uint64_t breaker_cooldown(const BreakerParams *p, unsigned level) {
        uint64_t c = p->cooldown_usec;

        for (unsigned i = 0; i < level && c < BREAKER_COOLDOWN_MAX_USEC; i++)
                c *= 2;
        return MIN(c, MAX(p->cooldown_usec, BREAKER_COOLDOWN_MAX_USEC));
}

/**
 * breaker_verdict_for() - what a state word means for a login now.
 * @word: the state word
 * @p: parameters
 * @now: CLOCK_MONOTONIC usec
 *
 * Return: BREAKER_CALL (closed), BREAKER_SKIP (open, or a trial under
 * way), BREAKER_TRIAL_DUE (a trial may be claimed).
 */
BreakerVerdict breaker_verdict_for(uint64_t word, const BreakerParams *p, uint64_t now) {
        uint64_t stamp = BREAKER_WORD_STAMP(word);

        switch (BREAKER_WORD_STATE(word)) {
        case BREAKER_OPEN:
                return now >= stamp + breaker_cooldown(p, BREAKER_WORD_LEVEL(word))
                               ? BREAKER_TRIAL_DUE
                               : BREAKER_SKIP;
        case BREAKER_HALF_OPEN:
                return now >= stamp + p->trial_timeout_usec ? BREAKER_TRIAL_DUE : BREAKER_SKIP;
        default: return BREAKER_CALL;
        }
}

/**
 * breaker_bad_within() - cut calls recorded within the window, and since
 * the breaker last closed (older ones were judged already).
 * @r: record
 * @word: its state word, as loaded
 * @p: parameters
 * @now: CLOCK_MONOTONIC usec
 *
 * Return: the count.
 */
unsigned breaker_bad_within(const BreakerRecord *r, uint64_t word, const BreakerParams *p,
                            uint64_t now) {
        uint64_t since = BREAKER_WORD_STATE(word) == BREAKER_CLOSED ? BREAKER_WORD_STAMP(word) : 0;
        unsigned n = 0;

        for (unsigned i = 0; i < BREAKER_BAD_SLOTS; i++) {
                uint64_t t = load(&r->bad[i]);

                if (t > 0 && t >= since && t <= now && t + p->window_usec >= now)
                        n++;
        }
        return n;
}

/**
 * breaker_open() - find the breaker of @target.
 * @b: breaker
 * @state_dir: directory of the breaker files
 * @target: wrapped module name ("pam_systemd")
 * @privileged: the caller may write (and create the directory, 0755 root's)
 * @owner: uid allowed to own directory and files besides root
 *
 * Return: 0, or -errno when the directory is unusable (then @b reads as
 * closed and records nothing).
 */
int breaker_open(Breaker *b, const char *state_dir, const char *target, bool privileged,
                 uid_t owner) {
        *b = (Breaker){ .dir_fd = -EBADF, .map.fd = -EBADF, .owner = owner, .privileged = privileged };
        breaker_file_name(target, b->name, sizeof(b->name));
        b->dir_fd = breaker_dir_open(state_dir, owner, privileged);
        return b->dir_fd < 0 ? b->dir_fd : 0;
}

void breaker_close(Breaker *b) {
        breaker_file_unmap(&b->map);
        if (b->dir_fd >= 0)
                (void) close(b->dir_fd);
        b->dir_fd = -EBADF;
}

static bool ensure_map(Breaker *b, bool create) {
        int r;

        if (b->map.rec)
                return true;
        if (b->dir_fd < 0 || !b->privileged)
                return false;
        r = breaker_file_map(b->dir_fd, b->name, b->owner, create, &b->map);
        if (r < 0 && r != -ENOENT)
                b->error = r;
        return r == 0;
}

/* Loads the state word: from the mapping when there is one, else from a
 * plain read (readers need no mapping, and no file means closed). */
static bool load_word(Breaker *b, uint64_t *ret) {
        BreakerRecord rec;
        int r;

        if (b->map.rec) {
                b->exists = true;
                *ret = load(&b->map.rec->word);
                return true;
        }
        r = breaker_file_read(b->dir_fd, b->name, b->owner, &rec);
        if (r < 0) {
                if (r != -ENOENT && r != -ESTALE)
                        b->error = r;
                return false;
        }
        b->exists = true;
        *ret = rec.word;
        return true;
}

static BreakerVerdict claim_trial(Breaker *b, const BreakerParams *p, uint64_t now) {
        if (!ensure_map(b, false))
                return BREAKER_SKIP;
        for (unsigned i = 0; i < CAS_ATTEMPTS; i++) {
                uint64_t w = load(&b->map.rec->word), mine;
                BreakerVerdict v = breaker_verdict_for(w, p, now);

                if (v != BREAKER_TRIAL_DUE)
                        return v;
                mine = BREAKER_WORD(BREAKER_HALF_OPEN, BREAKER_WORD_LEVEL(w), now);
                if (cas(&b->map.rec->word, w, mine)) {
                        b->trial_word = mine;
                        add(&b->map.rec->trials, 1);
                        return BREAKER_TRIAL;
                }
        }
        return BREAKER_SKIP; /* others are busy with it: one of them holds the trial */
}

/**
 * breaker_decide() - may this login call the wrapped module?
 * @b: breaker
 * @p: parameters
 * @now: CLOCK_MONOTONIC usec
 *
 * Return: BREAKER_CALL, BREAKER_TRIAL or BREAKER_SKIP. An unusable file
 * decides BREAKER_CALL (b->error says why): a damaged breaker never blocks
 * the wrapped module.
 */
BreakerVerdict breaker_decide(Breaker *b, const BreakerParams *p, uint64_t now) {
        BreakerVerdict v;
        uint64_t w;

        if (b->dir_fd < 0 || !load_word(b, &w))
                return BREAKER_CALL;
        v = breaker_verdict_for(w, p, now);
        if (v != BREAKER_TRIAL_DUE)
                return v;
        /* Only root's own logins may test logind for everybody. */
        return b->privileged ? claim_trial(b, p, now) : BREAKER_SKIP;
}

static void close_after_trial(Breaker *b, uint64_t now) {
        if (b->trial_word && b->map.rec)
                (void) cas(&b->map.rec->word, b->trial_word, BREAKER_WORD(BREAKER_CLOSED, 0, now));
}

/* A cut call, in the counters only: not yet evidence for the state. */
static void count_cut(BreakerRecord *r, uint64_t now) {
        add(&r->cuts, 1);
        add(&r->fallbacks, 1);
        __atomic_store_n(&r->last_cut_usec, now, __ATOMIC_RELAXED);
}

static void record_cut(Breaker *b, const BreakerParams *p, uint64_t now) {
        BreakerRecord *r = b->map.rec;
        uint64_t slot;

        count_cut(r, now);
        slot = __atomic_fetch_add(&r->bad_next, 1, __ATOMIC_ACQ_REL) % BREAKER_BAD_SLOTS;
        __atomic_store_n(&r->bad[slot], now, __ATOMIC_RELEASE);
        if (b->trial_word) {
                unsigned level = MIN(BREAKER_WORD_LEVEL(b->trial_word) + 1, BREAKER_LEVEL_MAX);
                (void) cas(&r->word, b->trial_word, BREAKER_WORD(BREAKER_OPEN, level, now));
                return;
        }
        for (unsigned i = 0; i < CAS_ATTEMPTS; i++) {
                uint64_t w = load(&r->word);

                if (BREAKER_WORD_STATE(w) != BREAKER_CLOSED ||
                    breaker_bad_within(r, w, p, now) < p->trip)
                        return;
                if (cas(&r->word, w, BREAKER_WORD(BREAKER_OPEN, 0, now))) {
                        add(&r->opened, 1);
                        return;
                }
        }
}

/**
 * breaker_record() - account for one login. Nothing is written for a
 * healthy call outside a trial, nor ever by an unprivileged caller.
 * @b: breaker
 * @p: parameters
 * @now: CLOCK_MONOTONIC usec
 * @outcome: what happened
 */
void breaker_record(Breaker *b, const BreakerParams *p, uint64_t now, CallOutcome outcome) {
        if (!b->privileged || b->dir_fd < 0)
                return;
        if (outcome == OUTCOME_OK) {
                close_after_trial(b, now);
                return;
        }
        if (!ensure_map(b, true))
                return;
        switch (outcome) {
        case OUTCOME_LATE:
                add(&b->map.rec->late, 1);
                close_after_trial(b, now);
                break;
        case OUTCOME_SKIPPED:
                add(&b->map.rec->skips, 1);
                add(&b->map.rec->fallbacks, 1);
                break;
        case OUTCOME_CUT: record_cut(b, p, now); break;
        default: break;
        }
}

/**
 * breaker_open_user() - find @user's own breaker for @target: the same
 * record and state machine as the host's, in the users directory, fed only
 * by calls logind had taken that then waited on the user's own units.
 * @b: breaker
 * @host: the host's breaker (its directory, privileges and owner)
 * @target: wrapped module name
 * @user: the login's user name (PAM_USER)
 * @create: create the users directory when missing (to record)
 *
 * Return: 0, or -errno (then @b reads as closed and records nothing).
 */
int breaker_open_user(Breaker *b, const Breaker *host, const char *target, const char *user,
                      bool create) {
        *b = (Breaker){ .dir_fd = -EBADF,
                        .map.fd = -EBADF,
                        .owner = host->owner,
                        .privileged = host->privileged };
        breaker_user_file_name(target, user, b->name, sizeof(b->name));
        if (host->dir_fd < 0)
                return -EBADF;
        b->dir_fd = breaker_users_dir_open(host->dir_fd, host->owner, create && host->privileged);
        return b->dir_fd < 0 ? b->dir_fd : 0;
}

/**
 * breaker_count() - count a login's fallback on the host's record without
 * judging logind by it: a user's own stuck call (cut after logind took it)
 * or a skip by that user's breaker. The counters stay exact; the host's
 * state machine is not moved.
 * @b: the host's breaker
 * @outcome: OUTCOME_CUT or OUTCOME_SKIPPED
 * @now: CLOCK_MONOTONIC usec
 */
void breaker_count(Breaker *b, CallOutcome outcome, uint64_t now) {
        if (!b->privileged || b->dir_fd < 0 || !ensure_map(b, true))
                return;
        if (outcome == OUTCOME_CUT)
                count_cut(b->map.rec, now);
        else if (outcome == OUTCOME_SKIPPED) {
                add(&b->map.rec->skips, 1);
                add(&b->map.rec->fallbacks, 1);
        }
}

/**
 * breaker_trip() - open a closed breaker now, on evidence gathered
 * elsewhere (the stuck calls of several users).
 * @b: breaker
 * @now: CLOCK_MONOTONIC usec
 *
 * Return: true when this call opened it.
 */
bool breaker_trip(Breaker *b, uint64_t now) {
        if (!b->privileged || b->dir_fd < 0 || !ensure_map(b, true))
                return false;
        for (unsigned i = 0; i < CAS_ATTEMPTS; i++) {
                uint64_t w = load(&b->map.rec->word);

                if (BREAKER_WORD_STATE(w) != BREAKER_CLOSED)
                        return false;
                if (cas(&b->map.rec->word, w, BREAKER_WORD(BREAKER_OPEN, 0, now))) {
                        add(&b->map.rec->opened, 1);
                        return true;
                }
        }
        return false;
}

/**
 * breaker_users_stuck() - how many users had a call of their own cut
 * within the window (their breaker's last cut), counting up to @enough.
 * Runs only after such a cut, never on a login's healthy path.
 * @user: a per-user breaker (its directory)
 * @target: wrapped module name
 * @p: parameters (window)
 * @now: CLOCK_MONOTONIC usec
 * @enough: stop counting here
 *
 * Return: the count.
 */
typedef struct StuckCount {
        const BreakerParams *p;
        uint64_t now;
        unsigned n, enough;
} StuckCount;

static bool count_stuck(int dir_fd, const char *name, const BreakerRecord *r, void *userdata) {
        StuckCount *c = userdata;

        if (r->last_cut_usec > 0 && r->last_cut_usec <= c->now &&
            r->last_cut_usec + c->p->window_usec >= c->now)
                c->n++;
        return c->n < c->enough;
}

unsigned breaker_users_stuck(const Breaker *user, const char *target, const BreakerParams *p,
                             uint64_t now, unsigned enough) {
        StuckCount c = { .p = p, .now = now, .enough = enough };
        char prefix[96];

        if (user->dir_fd < 0 || enough == 0)
                return 0;
        (void) snprintf(prefix, sizeof(prefix), BREAKER_FILE_PREFIX "%s.u", target);
        breaker_users_walk(user->dir_fd, prefix, user->owner, count_stuck, &c);
        return c.n;
}
