/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The verdict: findings are collected cause first (the bus, then PID 1,
 * then logind, its queue, the other trackers, /dev/log, leaks, the host),
 * and the SUMMARY is the first finding of the worst severity. So when
 * logind does not answer at 0% CPU while PID 1 is busy or stopped, the
 * headline names PID 1 and what it is busy with, not logind.
 *
 * Every string from outside (process names, socket paths, unit names)
 * goes through status_set_text(), which makes it safe UTF-8 without
 * control bytes: a hostile process name can never break a round.
 */
#include "verdict.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "macro.h"

/* A PID 1 at this CPU is busy; logind at under LOGIND_BLOCKED_PERCENT
 * while not answering is waiting on someone, not spinning. */
#define PID1_BUSY_PERCENT 50U
#define LOGIND_BLOCKED_PERCENT 5U
/* Over the recent window (30 s): mount churn, bulk (un)mounts, unit jobs. */
#define MOUNT_CHURN_CHANGES 100U
#define BULK_MOUNTS 500
/* Unit jobs PID 1 ran in 30 s that make a busy PID 1 a respawn loop. The
 * rate alone decides: a loop on a loaded or slow machine restarts its units
 * less often per second, and is the same loop (forks/s are shown, not
 * judged: they count the whole host). */
#define JOBS_LOOP 100U
#define RESTART_WARN_USEC (600 * USEC_PER_SEC)
#define FS_WARN_PERCENT 90U
#define OTHER_SOCKET_WARN 5U

typedef enum Severity { SEV_OK, SEV_WARNING, SEV_CRITICAL } Severity;

typedef struct Findings {
        Severity worst;
        Culprit culprit;
        unsigned n;
        char first[384]; /* the first finding of the worst severity */
} Findings;

static const char *const culprit_names[_CULPRIT_MAX] = {
        [CULPRIT_NONE] = "none",           [CULPRIT_BUS] = "bus",
        [CULPRIT_PID1] = "pid1",           [CULPRIT_LOGIN1] = "login1",
        [CULPRIT_BUS_QUEUE] = "bus-queue", [CULPRIT_CONSOLEKIT] = "consolekit",
        [CULPRIT_DEVLOG] = "devlog",       [CULPRIT_LEAK] = "leak",
        [CULPRIT_HOST] = "host",           [CULPRIT_GUARDD] = "guardd",
        [CULPRIT_USER] = "user",
};

const char *culprit_to_string(Culprit c) {
        return c >= 0 && c < _CULPRIT_MAX ? culprit_names[c] : NULL;
}

static void add_finding(Findings *f, Severity sev, Culprit c, const char *fmt, ...) _printf_(4, 5);
static void add_finding(Findings *f, Severity sev, Culprit c, const char *fmt, ...) {
        va_list ap;

        f->n++;
        if (sev <= f->worst && *f->first)
                return;
        f->worst = sev;
        f->culprit = c;
        va_start(ap, fmt);
        (void) vsnprintf(f->first, sizeof(f->first), fmt, ap);
        va_end(ap);
}

/* The name of a watched process for a sentence: sanitized, never empty. */
static void comm_of(const ProcObs *p, const char *fallback, char *buf, size_t size) {
        status_sanitize(*p->comm ? p->comm : fallback, buf, size);
}

/* ---- PID 1 ------------------------------------------------------------ */

/**
 * verdict_pid1_state() - PID 1's health: stopped (state T), stuck (not
 * answering its bus name or its userdb socket within the probe deadline),
 * busy (at high CPU, answering), or ok.
 * @o: observation
 *
 * Return: the state.
 */
Pid1State verdict_pid1_state(const Observation *o) {
        const ProcObs *p = &o->procs[PROC_PID1];

        assert(o);
        if (p->state == 'T' || p->state == 't')
                return PID1_STOPPED;
        if ((o->bus == BUS_OK && o->pid1.bus == SVC_STUCK) || o->pid1.userdb == PING_STUCK)
                return PID1_STUCK;
        if (p->pid > 0 && p->cpu_percent >= PID1_BUSY_PERCENT)
                return PID1_BUSY;
        return p->pid > 0 ? PID1_OK : PID1_UNKNOWN;
}

/**
 * verdict_pid1_idle() - is PID 1 at this CPU idle enough that mount and
 * job counts do not explain anything?
 * @cpu_percent: PID 1's CPU over the last round
 * @c: config (cpu_warn_percent)
 *
 * Return: true below a quarter of cpu_warn_percent.
 */
bool verdict_pid1_idle(unsigned cpu_percent, const Config *c) {
        assert(c);
        return cpu_percent < c->cpu_warn_percent / 4;
}

/* What PID 1 is busy with, for a sentence: "working through 8,000
 * unmounts", "restarting units: 345 jobs/s", or just its CPU. */
static void pid1_activity(const Observation *o, char *buf, size_t size) {
        const HostObs *h = &o->host;
        char a[32], b[32];

        if (h->busy_mounts_delta <= -BULK_MOUNTS) {
                format_count((uint64_t) -h->busy_mounts_delta, a, sizeof(a));
                (void) snprintf(buf, size, "working through %s unmounts", a);
        } else if (h->busy_mounts_delta >= BULK_MOUNTS) {
                format_count((uint64_t) h->busy_mounts_delta, a, sizeof(a));
                (void) snprintf(buf, size, "working through %s new mounts", a);
        } else if (h->busy_mount_changes >= MOUNT_CHURN_CHANGES) {
                format_count(h->busy_mount_changes, a, sizeof(a));
                format_count(h->mounts, b, sizeof(b));
                (void) snprintf(buf, size, "mount table churn: %s changes in 30 s, %s mounts", a, b);
        } else if (o->pid1.jobs_window >= JOBS_LOOP) {
                format_count(o->pid1.jobs_per_s, a, sizeof(a));
                (void) snprintf(buf, size, "restarting units: %s jobs/s", a);
        } else
                (void) snprintf(buf, size, "busy");
}

static bool logind_blocked_behind_pid1(const Observation *o) {
        const ProcObs *l = &o->procs[PROC_LOGIN1];
        Pid1State p = verdict_pid1_state(o);

        return o->services[OBS_LOGIN1].state == SVC_STUCK && l->cpu_percent < LOGIND_BLOCKED_PERCENT &&
               (p == PID1_BUSY || p == PID1_STUCK || p == PID1_STOPPED);
}

/* " ; logind blocked behind it (not answering for 21 s, 0% CPU)" or "". */
static void logind_behind(const Observation *o, char *buf, size_t size) {
        char d[32];

        buf[0] = '\0';
        if (!logind_blocked_behind_pid1(o))
                return;
        format_duration(o->services[OBS_LOGIN1].unanswered_usec, d, sizeof(d));
        (void) snprintf(buf, size, "; logind blocked behind it (not answering for %s, %u%% CPU)", d,
                        o->procs[PROC_LOGIN1].cpu_percent);
}

static void judge_pid1(const Observation *o, Findings *f) {
        const ProcObs *p = &o->procs[PROC_PID1];
        char what[160], behind[128], d[32];

        logind_behind(o, behind, sizeof(behind));
        switch (verdict_pid1_state(o)) {
        case PID1_STOPPED:
                add_finding(f, SEV_CRITICAL, CULPRIT_PID1,
                            "PID 1 is stopped (state T): no session scope can be started%s", behind);
                return;
        case PID1_STUCK:
                pid1_activity(o, what, sizeof(what));
                format_duration(MAX(o->pid1.bus_unanswered_usec, o->pid1.userdb_unanswered_usec), d,
                                sizeof(d));
                add_finding(f, SEV_CRITICAL, CULPRIT_PID1,
                            "PID 1 not answering for %s (%u%% CPU, %s)%s", d, p->cpu_percent, what,
                            behind);
                return;
        case PID1_BUSY:
                if (!*behind)
                        return; /* busy alone: judged with the host (respawn, churn) */
                pid1_activity(o, what, sizeof(what));
                add_finding(f, SEV_CRITICAL, CULPRIT_PID1, "PID 1 at %u%% CPU %s%s", p->cpu_percent,
                            what, behind);
                return;
        default: return;
        }
}

/* ---- the bus and the trackers ------------------------------------------ */

static void judge_bus(const Observation *o, Findings *f) {
        const ProcObs *bp = &o->procs[PROC_BUS];
        char d[32], addr[128];

        format_duration(o->bus_bad_usec, d, sizeof(d));
        status_sanitize(o->bus_address, addr, sizeof(addr));
        if (o->bus == BUS_DOWN)
                add_finding(f, SEV_CRITICAL, CULPRIT_BUS, "system bus down: cannot connect to %s for %s",
                            addr, d);
        else if (o->bus == BUS_STUCK)
                add_finding(f, SEV_CRITICAL, CULPRIT_BUS,
                            "dbus-daemon not answering for %s (pid %d, %u%% CPU)", d, (int) bp->pid,
                            bp->cpu_percent);
}

static void judge_login1_stuck(const Observation *o, Findings *f) {
        const ServiceObs *s = &o->services[OBS_LOGIN1];
        const ProcObs *p = &o->procs[PROC_LOGIN1];
        char d[32], n[32];

        if (s->state != SVC_STUCK || logind_blocked_behind_pid1(o))
                return;
        format_duration(s->unanswered_usec, d, sizeof(d));
        format_count(o->host.sessions, n, sizeof(n));
        add_finding(f, SEV_CRITICAL, CULPRIT_LOGIN1,
                    "logind not answering for %s (pid %d, %u%% CPU, %s sessions on disk)", d,
                    (int) p->pid, p->cpu_percent, n);
}

static void judge_queue(const Observation *o, const Config *c, Findings *f) {
        const ServiceObs *s = &o->services[OBS_LOGIN1];
        char b1[32], b2[32], b3[32];

        if (!s->queued_known)
                return;
        format_bytes(s->queued_bytes, b1, sizeof(b1));
        format_bytes(c->queue_skip_bytes, b2, sizeof(b2));
        if (s->queued_bytes >= c->queue_skip_bytes) {
                add_finding(f, SEV_CRITICAL, CULPRIT_BUS_QUEUE,
                            "bus holds %s for logind (skip threshold %s, %+" PRId64 " B/s, pid %d)",
                            b1, b2, s->queue_trend_per_s, (int) o->procs[PROC_LOGIN1].pid);
                return;
        }
        /* 0 -> 12 MB in 30 s is a warning long before any threshold. */
        if (s->queue_growth > 0 && (uint64_t) s->queue_growth >= c->queue_growth_warn_bytes) {
                format_bytes((uint64_t) s->queue_growth, b3, sizeof(b3));
                add_finding(f, SEV_WARNING, CULPRIT_BUS_QUEUE,
                            "bus queue for logind growing: +%s in 30 s, now %s (skip at %s)", b3, b1,
                            b2);
        }
}

static void judge_login1_other(const Observation *o, const Config *c, const VerdictState *vs,
                               Findings *f) {
        const ServiceObs *s = &o->services[OBS_LOGIN1];
        const ProcObs *p = &o->procs[PROC_LOGIN1];
        char d[32];

        if (s->state == SVC_SLOW) {
                format_duration(s->ping_usec, d, sizeof(d));
                add_finding(f, SEV_WARNING, CULPRIT_LOGIN1,
                            "logind slow: %s round trip (pid %d, %u%% CPU)", d, (int) p->pid,
                            p->cpu_percent);
        }
        if (s->state == SVC_ABSENT)
                add_finding(f, SEV_WARNING, CULPRIT_LOGIN1,
                            "no logind on the bus (org.freedesktop.login1 has no owner)");
        if (p->restarts > 0 && p->since_restart_usec > 0 && p->since_restart_usec < RESTART_WARN_USEC)
                add_finding(f, SEV_WARNING, CULPRIT_LOGIN1, "logind restarted %u times (now pid %d)",
                            p->restarts, (int) p->pid);
        if (vs->actions[OBS_LOGIN1].skip && !verdict_service_bad(o, c, OBS_LOGIN1))
                add_finding(f, SEV_WARNING, CULPRIT_LOGIN1,
                            "logind recovering: logins skip it until it has answered %u rounds",
                            vs->actions[OBS_LOGIN1].flapping ? c->healthy_rounds : 1U);
}

static void judge_consolekit(const Observation *o, Findings *f) {
        const ServiceObs *ck = &o->services[OBS_CONSOLEKIT];
        char d[32];

        if (ck->state != SVC_STUCK)
                return;
        format_duration(ck->unanswered_usec, d, sizeof(d));
        add_finding(f, SEV_CRITICAL, CULPRIT_CONSOLEKIT,
                    "console-kit-daemon not answering for %s (pid %d, %u%% CPU)", d,
                    (int) o->procs[PROC_CONSOLEKIT].pid, o->procs[PROC_CONSOLEKIT].cpu_percent);
}

/* ---- /dev/log --------------------------------------------------------- */

static void judge_devlog(const Observation *o, Findings *f) {
        const DevlogObs *dl = &o->devlog;
        const Census *c = &dl->census;
        char d[32], who[96] = "", blocked[192] = "", top[128] = "", name[48], path[128];

        if (dl->state != DEVLOG_STUCK && dl->state != DEVLOG_FULL)
                return;
        format_duration(dl->full_usec, d, sizeof(d));
        status_sanitize(dl->path, path, sizeof(path));
        if (dl->reader_pid > 0) {
                status_sanitize(dl->reader_comm, name, sizeof(name));
                (void) snprintf(who, sizeof(who), " %s (pid %d, state %c)", name,
                                (int) dl->reader_pid, dl->reader_state ? dl->reader_state : '?');
        }
        for (unsigned i = 0; i < c->n_writers && i < 3; i++) {
                size_t n = strlen(top);

                status_sanitize(c->writers[i].name, name, sizeof(name));
                (void) snprintf(top + n, sizeof(top) - n, "%s%s %u", i ? ", " : " (", name,
                                c->writers[i].count);
        }
        if (*top)
                (void) snprintf(top + strlen(top), sizeof(top) - strlen(top), ")");
        if (c->valid)
                (void) snprintf(blocked, sizeof(blocked), ", %u tasks blocked writing%s", c->blocked,
                                top);
        add_finding(f, dl->state == DEVLOG_STUCK ? SEV_CRITICAL : SEV_WARNING, CULPRIT_DEVLOG,
                    "%s reader%s %s: queue full for %s%s", path, who,
                    dl->state == DEVLOG_STUCK ? "stuck" : "not keeping up", d, blocked);
}

static void judge_other_sockets(const Observation *o, Findings *f) {
        const Census *c = &o->devlog.census;
        char name[128];

        /* e.g. PID 1's notify socket (systemd issue 21885). */
        if (!c->valid || c->n_others == 0 || c->others[0].count < OTHER_SOCKET_WARN)
                return;
        status_sanitize(c->others[0].name, name, sizeof(name));
        if (c->others[0].reader > 0)
                add_finding(f, SEV_WARNING, CULPRIT_HOST,
                            "%u tasks blocked writing to %s (reader pid %d)", c->others[0].count,
                            name, (int) c->others[0].reader);
        else
                add_finding(f, SEV_WARNING, CULPRIT_HOST, "%u tasks blocked writing to %s",
                            c->others[0].count, name);
}

/* ---- leaks and the host ------------------------------------------------ */

static void judge_leaks(const Observation *o, const Config *c, Findings *f) {
        const HostObs *h = &o->host;
        char a[32], b[32], path[128];

        if (h->sessions_valid && h->sessions >= c->sessions_warn) {
                format_count(h->sessions, a, sizeof(a));
                format_count(c->sessions_warn, b, sizeof(b));
                status_sanitize(c->sessions_dir, path, sizeof(path));
                add_finding(f, SEV_WARNING, CULPRIT_LEAK,
                            "%s session entries in %s (warn at %s): sessions leak", a, path, b);
        }
        if (h->scopes_valid && h->scopes >= c->scopes_warn) {
                format_count(h->scopes, a, sizeof(a));
                format_count(c->scopes_warn, b, sizeof(b));
                status_sanitize(c->units_dir, path, sizeof(path));
                add_finding(f, SEV_WARNING, CULPRIT_LEAK,
                            "%s session scopes in %s (warn at %s): scope leak", a, path, b);
        }
        if (h->fs_known && h->fs_used_percent >= FS_WARN_PERCENT) {
                status_sanitize(c->sessions_dir, path, sizeof(path));
                add_finding(f, SEV_WARNING, CULPRIT_LEAK, "filesystem of %s %u%% full", path,
                            h->fs_used_percent);
        }
}

/* PID 1 busy on its own: a respawn loop when it keeps starting unit jobs,
 * mount churn when the mount table says so. */
static void judge_host(const Observation *o, const Config *c, Findings *f) {
        const ProcObs *p1 = &o->procs[PROC_PID1];
        const HostObs *h = &o->host;
        char a[32], b[32], what[96], name[48];

        for (int i = 0; i < PROC_PID1; i++) {
                const ProcObs *p = &o->procs[i];

                if (p->pid > 0 && p->cpu_percent >= c->cpu_warn_percent) {
                        comm_of(p, "?", name, sizeof(name));
                        add_finding(f, SEV_WARNING, i == PROC_LOGIN1 ? CULPRIT_LOGIN1 : CULPRIT_HOST,
                                    "%s at %u%% CPU (pid %d)", name, p->cpu_percent, (int) p->pid);
                }
        }
        /* Mount and job counts only explain PID 1's CPU; an idle PID 1
         * after a storm is not a finding. */
        if (verdict_pid1_idle(p1->cpu_percent, c))
                return;
        format_count(h->forks_per_s, a, sizeof(a));
        format_count(o->pid1.jobs_per_s, b, sizeof(b));
        if (o->pid1.jobs_window >= JOBS_LOOP)
                add_finding(f, SEV_WARNING, CULPRIT_HOST,
                            "PID 1 at %u%% CPU restarting units: %s jobs/s, %s forks/s (a respawn "
                            "loop? not the login path)",
                            p1->cpu_percent, b, a);
        else if (h->busy_mount_changes >= MOUNT_CHURN_CHANGES || h->busy_mounts_delta <= -BULK_MOUNTS ||
                 h->busy_mounts_delta >= BULK_MOUNTS) {
                pid1_activity(o, what, sizeof(what));
                add_finding(f, SEV_WARNING, CULPRIT_HOST, "PID 1 at %u%% CPU, %s", p1->cpu_percent,
                            what);
        } else if (p1->cpu_percent >= c->cpu_warn_percent / 4 * 2)
                add_finding(f, SEV_WARNING, CULPRIT_HOST, "PID 1 at %u%% CPU, %s forks/s, %s jobs/s",
                            p1->cpu_percent, a, b);
}

/* ---- one user's own units ------------------------------------------- */

/* "alice (uid 1000)", "uid 1000" (no name in /etc/passwd), "a user". */
static void user_label(const UserJobObs *j, char *buf, size_t size) {
        if (j->uid_known && *j->user)
                (void) snprintf(buf, size, "%s (uid %" PRIu32 ")", j->user, j->uid);
        else if (j->uid_known)
                (void) snprintf(buf, size, "uid %" PRIu32, j->uid);
        else
                (void) snprintf(buf, size, "a user");
}

static bool user_job_late(const UserJobObs *j, const Config *c) {
        return j->age_usec >= c->user_job_warn_usec;
}

/* The longest wait first (the jobs come sorted). A warning: the user's
 * own logins fall back by their own breaker, everybody else's are fine. */
static void judge_user_jobs(const Observation *o, const Config *c, Findings *f) {
        for (unsigned i = 0; i < o->n_user_jobs; i++) {
                const UserJobObs *j = &o->user_jobs[i];
                char who[96], unit[96], d[32];

                if (!user_job_late(j, c))
                        continue;
                user_label(j, who, sizeof(who));
                status_sanitize(j->unit, unit, sizeof(unit));
                format_duration(j->age_usec, d, sizeof(d));
                add_finding(f, SEV_WARNING, CULPRIT_USER,
                            "logins of %s wait for %s: start job pending for %s", who, unit, d);
        }
}

static void ok_summary(const Observation *o, Findings *f) {
        char d[32], n[32], path[128];

        format_duration(o->services[OBS_LOGIN1].ping_usec, d, sizeof(d));
        format_count(o->host.sessions, n, sizeof(n));
        status_sanitize(o->devlog.path, path, sizeof(path));
        (void) snprintf(f->first, sizeof(f->first), "ok: logind answers in %s (pid %d), %s sessions, %s %s",
                        d, (int) o->procs[PROC_LOGIN1].pid, n, path,
                        devlog_state_to_string(o->devlog.state));
}

static void judge_all(const Observation *o, const Config *c, const VerdictState *vs, Findings *f) {
        judge_bus(o, f);
        judge_pid1(o, f);
        judge_login1_stuck(o, f);
        judge_queue(o, c, f);
        judge_consolekit(o, f);
        judge_devlog(o, f);
        judge_login1_other(o, c, vs, f);
        judge_other_sockets(o, f);
        judge_leaks(o, c, f);
        judge_user_jobs(o, c, f);
        judge_host(o, c, f);
}

/* ---- the skip actions -------------------------------------------------- */

/**
 * verdict_service_bad() - must logins skip this tracker now?
 * @o: observation
 * @c: config
 * @service: OBS_LOGIN1 or OBS_CONSOLEKIT
 *
 * Return: true when the bus or the tracker is stuck or gone, its queue
 * past queue_skip_bytes, or (for logind) PID 1 cannot complete a session.
 */
bool verdict_service_bad(const Observation *o, const Config *c, unsigned service) {
        const ServiceObs *s = &o->services[service];
        Pid1State p;

        assert(o);
        assert(c);
        if (o->bus != BUS_OK || s->state == SVC_STUCK || s->state == SVC_ABSENT ||
            (s->queued_known && s->queued_bytes >= c->queue_skip_bytes))
                return true;
        p = verdict_pid1_state(o);
        return service == OBS_LOGIN1 && (p == PID1_STOPPED || p == PID1_STUCK);
}

/* Healthy enough to allow again at once: answering in time, and a queue
 * that does not grow. */
static bool service_healthy(const Observation *o, unsigned service) {
        const ServiceObs *s = &o->services[service];

        return s->state == SVC_OK && (!s->queued_known || s->queue_trend_per_s <= 0);
}

/**
 * verdict_update_action() - skip at once; allow again after one healthy
 * round, or after healthy_rounds when the tracker went bad again soon
 * after the last allow (flapping).
 * @a: the action
 * @bad: this round says skip
 * @healthy: this round is clearly healthy
 * @c: config
 * @now: CLOCK_MONOTONIC usec
 */
void verdict_update_action(Action *a, bool bad, bool healthy, const Config *c, uint64_t now) {
        assert(a);
        assert(c);

        if (bad) {
                if (!a->skip)
                        a->flapping = a->allowed_usec > 0 && now < a->allowed_usec + VERDICT_FLAP_WINDOW_USEC;
                a->skip = true;
                a->healthy_rounds = 0;
                return;
        }
        if (!a->skip) {
                if (a->flapping && now >= a->allowed_usec + VERDICT_FLAP_WINDOW_USEC)
                        a->flapping = false;
                return;
        }
        if (!healthy) {
                a->healthy_rounds = 0;
                return;
        }
        if (++a->healthy_rounds >= (a->flapping ? c->healthy_rounds : 1U)) {
                a->skip = false;
                a->healthy_rounds = 0;
                a->allowed_usec = now;
        }
}

/* ---- the status keys --------------------------------------------------- */

#define TRY(expr) \
        do { \
                int _r = (expr); \
                if (_r < 0) \
                        return _r; \
        } while (0)

static int set_u64_or_empty(Status *st, const char *key, bool known, uint64_t v) {
        return known ? status_set_u64(st, key, v) : status_set(st, key, "");
}

static int set_proc(Status *st, const char *prefix, const ProcObs *p) {
        char key[64], state[2] = { p->state, 0 };

#define K(suffix) (snprintf(key, sizeof(key), "%s_%s", prefix, suffix), key)
        TRY(set_u64_or_empty(st, K("PID"), p->pid > 0, (uint64_t) p->pid));
        TRY(set_u64_or_empty(st, K("CPU_PERCENT"), p->pid > 0, p->cpu_percent));
        TRY(set_u64_or_empty(st, K("RSS_BYTES"), p->pid > 0, p->rss_bytes));
        TRY(status_set_text(st, K("PROC_STATE"), state));
        TRY(status_set_u64(st, K("RESTARTS"), p->restarts));
#undef K
        return 0;
}

static int set_service(Status *st, const char *prefix, const ServiceObs *s, const Action *a) {
        char key[64];

#define K(suffix) (snprintf(key, sizeof(key), "%s%s", prefix, suffix), key)
        TRY(status_set(st, K(""), svc_state_to_string(s->state)));
        TRY(status_set(st, K("_ACTION"), a->skip ? "skip" : "allow"));
        TRY(set_u64_or_empty(st, K("_PING_USEC"), s->state == SVC_OK || s->state == SVC_SLOW,
                             s->ping_usec));
        TRY(set_u64_or_empty(st, K("_UNANSWERED_USEC"), s->unanswered_usec > 0, s->unanswered_usec));
#undef K
        return 0;
}

static int set_queue(Status *st, const Observation *o, const Config *c) {
        const ServiceObs *s = &o->services[OBS_LOGIN1];

        TRY(set_u64_or_empty(st, "LOGIN1_QUEUED_BYTES", s->queued_known && o->bus == BUS_OK,
                             s->queued_bytes));
        TRY(status_setf(st, "LOGIN1_QUEUE_TREND_BYTES_PER_S", "%" PRId64, s->queue_trend_per_s));
        TRY(status_setf(st, "LOGIN1_QUEUE_GROWTH_30S_BYTES", "%" PRId64, s->queue_growth));
        TRY(status_set_u64(st, "LOGIN1_QUEUE_LIMIT_BYTES", BUS_QUEUE_LIMIT_DEFAULT));
        TRY(status_set_u64(st, "LOGIN1_QUEUE_SKIP_BYTES", c->queue_skip_bytes));
        TRY(status_set_u64(st, "LOGIN1_QUEUE_GROWTH_WARN_BYTES", c->queue_growth_warn_bytes));
        return 0;
}

static int set_pid1(Status *st, const Observation *o) {
        const Pid1Obs *p = &o->pid1;

        TRY(status_set(st, "PID1", pid1_state_to_string(verdict_pid1_state(o))));
        TRY(set_u64_or_empty(st, "PID1_PING_USEC", p->bus == SVC_OK || p->bus == SVC_SLOW,
                             p->bus_ping_usec));
        TRY(set_u64_or_empty(st, "PID1_USERDB_USEC", p->userdb == PING_OK, p->userdb_usec));
        TRY(set_u64_or_empty(st, "PID1_UNANSWERED_USEC",
                             p->bus_unanswered_usec > 0 || p->userdb_unanswered_usec > 0,
                             MAX(p->bus_unanswered_usec, p->userdb_unanswered_usec)));
        TRY(status_set_u64(st, "PID1_JOBS_PER_S", p->jobs_per_s));
        TRY(status_set_u64(st, "PID1_JOBS_30S", p->jobs_window));
        return 0;
}

/* "name:count,name:count": names cleaned of the list's own separators. */
static void census_list(const CensusEntry *e, unsigned n, char *buf, size_t size) {
        size_t used = 0;

        buf[0] = '\0';
        for (unsigned i = 0; i < n && used + 1 < size; i++) {
                char name[128];
                int w;

                status_sanitize(e[i].name, name, sizeof(name));
                for (char *p = name; *p; p++)
                        if (*p == ',' || *p == ':')
                                *p = '_';
                w = snprintf(buf + used, size - used, "%s%s:%u", i ? "," : "", name, e[i].count);
                if (w < 0 || (size_t) w >= size - used)
                        break;
                used += (size_t) w;
        }
        buf[used] = '\0';
}

static int set_devlog_reader(Status *st, const DevlogObs *d) {
        char state[2] = { d->reader_state, 0 };
        bool known = d->reader_pid > 0;

        TRY(set_u64_or_empty(st, "DEVLOG_READER_PID", known, (uint64_t) d->reader_pid));
        TRY(status_set_text(st, "DEVLOG_READER_COMM", known ? d->reader_comm : ""));
        TRY(status_set_text(st, "DEVLOG_READER_STATE", known ? state : ""));
        TRY(status_set_text(st, "DEVLOG_READER_UNIT", d->reader_unit));
        return 0;
}

static int set_devlog_census(Status *st, const DevlogObs *d) {
        const Census *c = &d->census;
        char list[512];

        if (d->state == DEVLOG_OK)
                TRY(status_set(st, "DEVLOG_BLOCKED_WRITERS", "0"));
        else
                TRY(set_u64_or_empty(st, "DEVLOG_BLOCKED_WRITERS", c->valid, c->blocked));
        census_list(c->writers, c->n_writers, list, sizeof(list));
        TRY(status_set_text(st, "DEVLOG_TOP_WRITERS", list));
        census_list(c->others, c->n_others, list, sizeof(list));
        TRY(status_set_text(st, "DEVLOG_OTHER_BLOCKED", list));
        TRY(set_u64_or_empty(st, "DEVLOG_CENSUS_USEC", c->valid, c->cost_usec));
        return 0;
}

static int set_devlog(Status *st, const DevlogObs *d) {
        TRY(status_set(st, "DEVLOG", devlog_state_to_string(d->state)));
        TRY(status_set_text(st, "DEVLOG_PATH", d->path));
        TRY(set_u64_or_empty(st, "DEVLOG_FULL_USEC", d->full_usec > 0, d->full_usec));
        TRY(set_devlog_reader(st, d));
        TRY(set_devlog_census(st, d));
        TRY(status_set_text(st, "DEVLOG_REMEDY", d->remedy.last));
        TRY(status_set_text(st, "DEVLOG_REMEDY_RESULT", d->remedy.result));
        TRY(status_set_u64(st, "DEVLOG_SPOOLED", d->remedy.spooled));
        TRY(status_set_u64(st, "DEVLOG_REPLAYED", d->remedy.replayed));
        TRY(status_set_u64(st, "DEVLOG_SPOOL_PENDING_BYTES", d->remedy.pending_bytes));
        TRY(status_set_u64(st, "DEVLOG_LOST", d->remedy.lost));
        return 0;
}

static int set_host(Status *st, const Observation *o, const Config *c) {
        const HostObs *h = &o->host;

        TRY(set_u64_or_empty(st, "SESSIONS", h->sessions_valid, h->sessions));
        TRY(set_u64_or_empty(st, "SESSION_SCOPES", h->scopes_valid, h->scopes));
        TRY(set_u64_or_empty(st, "SESSIONS_FS_USED_PERCENT", h->fs_known, h->fs_used_percent));
        TRY(status_set_u64(st, "SESSIONS_WARN", c->sessions_warn));
        TRY(status_set_u64(st, "SCOPES_WARN", c->scopes_warn));
        TRY(status_set_u64(st, "FORKS_PER_S", h->forks_per_s));
        TRY(status_set_u64(st, "MOUNTS", h->mounts));
        TRY(status_set_u64(st, "MOUNT_CHANGES_PER_S", h->mount_changes_per_s));
        TRY(status_set_u64(st, "MOUNT_CHANGES_30S", h->mount_changes_window));
        TRY(status_setf(st, "MOUNTS_DELTA_30S", "%" PRId64, h->mounts_delta_window));
        TRY(status_set_u64(st, "FALLBACKS", o->fallbacks));
        TRY(status_set_u64(st, "FALLBACKS_SKIPPED", o->fallbacks_skipped));
        TRY(status_set_u64(st, "FALLBACKS_CUT", o->fallbacks_cut));
        return 0;
}

/* "alice:1000:user@1000.service:47,...": the late jobs, oldest first;
 * ',' and ':' cannot appear in a user or unit name shown. */
static int set_user_jobs(Status *st, const Observation *o, const Config *c) {
        char list[1024];
        size_t used = 0;
        unsigned late = 0;

        list[0] = '\0';
        for (unsigned i = 0; i < o->n_user_jobs; i++) {
                const UserJobObs *j = &o->user_jobs[i];
                char unit[96], uid[16] = "";
                int w;

                if (!user_job_late(j, c))
                        continue;
                late++;
                status_sanitize(j->unit, unit, sizeof(unit));
                for (char *p = unit; *p; p++)
                        if (*p == ',' || *p == ':')
                                *p = '_';
                if (j->uid_known)
                        (void) snprintf(uid, sizeof(uid), "%" PRIu32, j->uid);
                w = snprintf(list + used, sizeof(list) - used, "%s%s:%s:%s:%" PRIu64,
                             used ? "," : "", j->user, uid, unit, j->age_usec / USEC_PER_SEC);
                if (w < 0 || (size_t) w >= sizeof(list) - used)
                        break;
                used += (size_t) w;
        }
        TRY(set_u64_or_empty(st, "USER_JOBS_PENDING", o->user_jobs_known, late));
        TRY(status_set_text(st, "USER_JOBS", list));
        TRY(status_set_u64(st, "USER_JOB_WARN_USEC", c->user_job_warn_usec));
        TRY(status_set_u64(st, "USER_BREAKERS_OPEN", o->user_breakers_open));
        return 0;
}

static int set_breakers(Status *st, const Observation *o) {
        static const char *const keys[_OBS_SERVICE_MAX] = {
                [OBS_LOGIN1] = "LOGIN1_BREAKER",
                [OBS_CONSOLEKIT] = "CONSOLEKIT_BREAKER",
        };

        for (unsigned i = 0; i < _OBS_SERVICE_MAX; i++)
                TRY(status_set(st, keys[i],
                               o->breakers[i].known ? breaker_state_to_string(o->breakers[i].state)
                                                    : "closed"));
        return 0;
}

static int set_header(Status *st, const Observation *o) {
        TRY(status_set_u64(st, "WRITTEN_MONOTONIC_USEC", o->now));
        TRY(status_set_u64(st, "WRITTEN_REALTIME_USEC", o->realtime_usec));
        TRY(status_set_u64(st, "GUARDD_PID", (uint64_t) o->guardd_pid));
        TRY(status_set_u64(st, "INTERVAL_USEC", o->interval_usec));
        return 0;
}

static int set_guardd(Status *st, const Observation *o, const Config *c) {
        TRY(status_set_u64(st, "GUARDD_ROUND_USEC", o->round_usec));
        TRY(status_set_u64(st, "GUARDD_ROUNDS", o->rounds));
        TRY(status_set_u64(st, "GUARDD_LATE_CALLS", o->late_calls));
        TRY(status_set_u64(st, "GUARDD_LOG_DROPPED", o->log_dropped));
        TRY(status_set_u64(st, "GUARDD_NOTIFY_DROPPED", o->notify_dropped));
        TRY(status_set_text(st, "BUS_ADDRESS", o->bus_address));
        TRY(status_set_u64(st, "LOGIN1_SLOW_USEC", c->login1_slow_usec));
        TRY(status_set_u64(st, "CPU_WARN_PERCENT", c->cpu_warn_percent));
        TRY(status_set(st, "WATCHDOG", o->watch.watching ? "guardd" : "thread"));
        TRY(status_set_text(st, "WATCHDOG_REASON", o->watch.watching ? "" : o->watch.why_not));
        TRY(status_set_u64(st, "WATCH_ARMED", o->watch.armed));
        TRY(status_set_u64(st, "WATCH_CALLS", o->watch.calls));
        TRY(status_set_u64(st, "WATCH_CUTS", o->watch.cuts));
        return 0;
}

static int set_verdict(Status *st, const Observation *o, const Config *c, const VerdictState *vs) {
        static const char *const names[] = { "ok", "warning", "critical" };
        Findings f = {};

        judge_all(o, c, vs, &f);
        if (f.n == 0)
                ok_summary(o, &f);
        else if (f.n > 1) {
                size_t len = strlen(f.first);
                (void) snprintf(f.first + len, sizeof(f.first) - len, " (+%u more)", f.n - 1);
        }
        TRY(status_set(st, "OVERALL", names[f.worst]));
        TRY(status_set_text(st, "SUMMARY", f.first));
        TRY(status_set(st, "CULPRIT", culprit_to_string(f.culprit)));
        return 0;
}

static int compose(Status *st, const Observation *o, const Config *c, const VerdictState *vs) {
        static const char *const svc_prefix[_OBS_SERVICE_MAX] = {
                [OBS_LOGIN1] = "LOGIN1",
                [OBS_CONSOLEKIT] = "CONSOLEKIT",
        };
        static const char *const proc_prefix[_PROC_MAX] = {
                [PROC_LOGIN1] = "LOGIN1", [PROC_BUS] = "BUS",
                [PROC_CONSOLEKIT] = "CONSOLEKIT", [PROC_PID1] = "PID1",
        };

        TRY(set_header(st, o));
        TRY(set_verdict(st, o, c, vs));
        TRY(status_set(st, "BUS", bus_state_to_string(o->bus)));
        for (unsigned i = 0; i < _OBS_SERVICE_MAX; i++)
                TRY(set_service(st, svc_prefix[i], &o->services[i], &vs->actions[i]));
        TRY(set_queue(st, o, c));
        TRY(set_pid1(st, o));
        for (unsigned i = 0; i < _PROC_MAX; i++)
                TRY(set_proc(st, proc_prefix[i], &o->procs[i]));
        TRY(set_devlog(st, &o->devlog));
        TRY(set_host(st, o, c));
        TRY(set_user_jobs(st, o, c));
        TRY(set_breakers(st, o));
        TRY(set_guardd(st, o, c));
        return 0;
}

/**
 * verdict_compose() - this round's status.
 * @o: the round's observation
 * @c: config (thresholds)
 * @vs: the actions, updated for this round
 * @ret: the status
 *
 * Return: 0, or -ENOMEM. Values from outside are sanitized, never refused.
 */
int verdict_compose(const Observation *o, const Config *c, VerdictState *vs, Status **ret) {
        _cleanup_(status_freep) Status *st = NULL;
        int r;

        assert(o);
        assert(c);
        assert(vs);
        assert(ret);
        for (unsigned i = 0; i < _OBS_SERVICE_MAX; i++)
                verdict_update_action(&vs->actions[i], verdict_service_bad(o, c, i),
                                      service_healthy(o, i), c, o->now);
        r = status_new(&st);
        if (r < 0)
                return r;
        r = compose(st, o, c, vs);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(st);
        return 0;
}
