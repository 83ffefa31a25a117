/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From probe results to the status file: every key of spec/INTERFACE.md
 * §4 plus the evidence behind them, the skip actions with hysteresis, and
 * OVERALL with a one-line SUMMARY that names the culprit and its numbers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io-util.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "output.h"

#define RESTART_WARN_USEC (600 * USEC_PER_SEC)
#define PID1_CPU_WARN 25U
#define FS_WARN_PERCENT 90U

typedef enum Severity { SEV_OK, SEV_WARNING, SEV_CRITICAL } Severity;

typedef struct Findings {
        Severity worst;
        unsigned n;
        char first[256]; /* the first finding of the worst severity */
} Findings;

static void add_finding(Findings *f, Severity sev, const char *fmt, ...) _printf_(3, 4);
static void add_finding(Findings *f, Severity sev, const char *fmt, ...) {
        va_list ap;

        f->n++;
        if (sev <= f->worst && *f->first)
                return;
        f->worst = sev;
        va_start(ap, fmt);
        (void) vsnprintf(f->first, sizeof(f->first), fmt, ap);
        va_end(ap);
}

/* The skip decision with hysteresis: skip at once, allow again only after
 * healthy_rounds good rounds in a row. */
static void update_action(Action *a, bool bad, unsigned healthy_rounds) {
        if (bad) {
                a->skip = true;
                a->healthy_rounds = 0;
                return;
        }
        if (a->skip && ++a->healthy_rounds >= healthy_rounds)
                a->skip = false;
}

static bool service_bad(const Manager *m, const ServiceProbe *s) {
        return m->bus.state != BUS_OK || s->state == SVC_STUCK || s->state == SVC_ABSENT ||
               (s->queued_known && s->queued_bytes >= m->config.queue_skip_bytes);
}

static int set_proc(Status *st, const ProcWatch *w) {
        char key[64], state[2] = { w->state, 0 };
        int r = 0;

#define SET(suffix, fn, ...) \
        do { \
                (void) snprintf(key, sizeof(key), "%s_%s", w->key, suffix); \
                if (r >= 0) \
                        r = fn(st, key, __VA_ARGS__); \
        } while (0)
        if (w->pid > 0) {
                SET("PID", status_set_u64, (uint64_t) w->pid);
                SET("CPU_PERCENT", status_set_u64, w->cpu_percent);
                SET("RSS_BYTES", status_set_u64, w->rss_bytes);
        } else {
                SET("PID", status_set, "");
                SET("CPU_PERCENT", status_set, "");
                SET("RSS_BYTES", status_set, "");
        }
        SET("PROC_STATE", status_set, state);
        SET("RESTARTS", status_set_u64, w->restarts);
#undef SET
        return r;
}

static int set_service(Manager *m, Status *st, size_t i) {
        const ServiceProbe *s = &m->bus.services[i];
        char key[64];
        int r;

        (void) snprintf(key, sizeof(key), "%s", s->key);
        r = status_set(st, key, svc_state_to_string(s->state));
        (void) snprintf(key, sizeof(key), "%s_ACTION", s->key);
        if (r >= 0)
                r = status_set(st, key, m->actions[i].skip ? "skip" : "allow");
        (void) snprintf(key, sizeof(key), "%s_PING_USEC", s->key);
        if (r >= 0)
                r = s->state == SVC_OK || s->state == SVC_SLOW
                            ? status_set_u64(st, key, s->last_ping_usec)
                            : status_set(st, key, "");
        (void) snprintf(key, sizeof(key), "%s_UNANSWERED_USEC", s->key);
        if (r >= 0)
                r = s->unanswered_since_usec
                            ? status_set_u64(st, key,
                                             now_usec(CLOCK_MONOTONIC) - s->unanswered_since_usec)
                            : status_set(st, key, "");
        return r;
}

static int set_queue(Manager *m, Status *st) {
        const ServiceProbe *s = &m->bus.services[BUS_SERVICE_LOGIN1];
        int r;

        r = s->queued_known && m->bus.state == BUS_OK
                    ? status_set_u64(st, "LOGIN1_QUEUED_BYTES", s->queued_bytes)
                    : status_set(st, "LOGIN1_QUEUED_BYTES", "");
        if (r >= 0)
                r = status_setf(st, "LOGIN1_QUEUE_TREND_BYTES_PER_S", "%" PRId64,
                                s->queue_trend_per_s);
        if (r >= 0)
                r = status_set_u64(st, "LOGIN1_QUEUE_LIMIT_BYTES", BUS_QUEUE_LIMIT_DEFAULT);
        if (r >= 0)
                r = status_set_u64(st, "LOGIN1_QUEUE_SKIP_BYTES", m->config.queue_skip_bytes);
        return r;
}

static void census_list(const CensusEntry *e, unsigned n, char *buf, size_t size) {
        size_t used = 0;

        buf[0] = '\0';
        for (unsigned i = 0; i < n && used < size; i++) {
                int w = snprintf(buf + used, size - used, "%s%s:%u", i ? "," : "", e[i].name,
                                 e[i].count);
                if (w < 0)
                        break;
                used += (size_t) w;
        }
}

static int set_devlog_reader(Manager *m, Status *st) {
        const DevlogReader *r = &m->reader;
        char state[2] = { r->state, 0 };
        int e;

        e = r->pid > 0 ? status_set_u64(st, "DEVLOG_READER_PID", (uint64_t) r->pid)
                       : status_set(st, "DEVLOG_READER_PID", "");
        if (e >= 0)
                e = status_set(st, "DEVLOG_READER_COMM", r->pid > 0 ? r->comm : "");
        if (e >= 0)
                e = status_set(st, "DEVLOG_READER_STATE", r->pid > 0 ? state : "");
        if (e >= 0)
                e = status_set(st, "DEVLOG_READER_UNIT", r->unit);
        return e;
}

static int set_devlog_census(Manager *m, Status *st) {
        const Census *c = &m->census;
        char list[512];
        int e;

        if (m->devlog.state == DEVLOG_OK)
                e = status_set(st, "DEVLOG_BLOCKED_WRITERS", "0");
        else if (c->valid)
                e = status_set_u64(st, "DEVLOG_BLOCKED_WRITERS", c->blocked);
        else
                e = status_set(st, "DEVLOG_BLOCKED_WRITERS", "");
        census_list(c->writers, c->n_writers, list, sizeof(list));
        if (e >= 0)
                e = status_set(st, "DEVLOG_TOP_WRITERS", list);
        census_list(c->others, c->n_others, list, sizeof(list));
        if (e >= 0)
                e = status_set(st, "DEVLOG_OTHER_BLOCKED", list);
        if (e >= 0 && c->valid)
                e = status_set_u64(st, "DEVLOG_CENSUS_USEC", c->cost_usec);
        return e;
}

static int set_devlog_remedy(Manager *m, Status *st) {
        const Remedy *r = &m->remedy;
        int e;

        e = status_set(st, "DEVLOG_REMEDY", r->last);
        if (e >= 0)
                e = status_set(st, "DEVLOG_REMEDY_RESULT", r->result);
        if (e >= 0)
                e = status_set_u64(st, "DEVLOG_SPOOLED", r->spooled);
        if (e >= 0)
                e = status_set_u64(st, "DEVLOG_REPLAYED", r->replayed);
        if (e >= 0)
                e = status_set_u64(st, "DEVLOG_SPOOL_PENDING_BYTES",
                                   r->replaying && r->replay_size > r->replay_off
                                           ? r->replay_size - r->replay_off
                                           : 0);
        return e;
}

static int set_devlog(Manager *m, Status *st) {
        int r;

        r = status_set(st, "DEVLOG", devlog_state_to_string(m->devlog.state));
        if (r >= 0)
                r = status_set(st, "DEVLOG_PATH", m->devlog.path);
        if (r >= 0)
                r = m->devlog.full_since_usec
                            ? status_set_u64(st, "DEVLOG_FULL_USEC",
                                             now_usec(CLOCK_MONOTONIC) - m->devlog.full_since_usec)
                            : status_set(st, "DEVLOG_FULL_USEC", "");
        if (r >= 0)
                r = set_devlog_reader(m, st);
        if (r >= 0)
                r = set_devlog_census(m, st);
        if (r >= 0)
                r = set_devlog_remedy(m, st);
        return r;
}

static int set_counts(Manager *m, Status *st) {
        int r = 0;

        r = m->sessions.valid ? status_set_u64(st, "SESSIONS", m->sessions.count)
                              : status_set(st, "SESSIONS", "");
        if (r >= 0)
                r = m->scopes.valid ? status_set_u64(st, "SESSION_SCOPES", m->scopes.count)
                                    : status_set(st, "SESSION_SCOPES", "");
        if (r >= 0)
                r = m->sessions_fs_known
                            ? status_set_u64(st, "SESSIONS_FS_USED_PERCENT", m->sessions_fs_used)
                            : status_set(st, "SESSIONS_FS_USED_PERCENT", "");
        if (r >= 0)
                r = status_set_u64(st, "FORKS_PER_S", m->host.forks_per_s);
        if (r >= 0)
                r = status_set_u64(st, "MOUNTS", m->host.mounts);
        if (r >= 0)
                r = status_set_u64(st, "MOUNT_CHANGES_PER_S", m->host.mount_changes_per_s);
        if (r >= 0)
                r = status_set_u64(st, "FALLBACKS", m->fallbacks);
        return r;
}

static void judge_bus(const Manager *m, uint64_t now, Findings *f) {
        const ProcWatch *bp = &m->procs[PROC_BUS];
        char d[32];

        format_duration(now - (m->bus.bad_since_usec ? m->bus.bad_since_usec : now), d, sizeof(d));
        if (m->bus.state == BUS_DOWN)
                add_finding(f, SEV_CRITICAL, "system bus down: cannot connect to %s for %s",
                            m->bus.address, d);
        else if (m->bus.state == BUS_STUCK)
                add_finding(f, SEV_CRITICAL, "dbus-daemon not answering for %s (pid %d, %u%% CPU)",
                            d, (int) bp->pid, bp->cpu_percent);
}

static void judge_login1(const Manager *m, uint64_t now, Findings *f) {
        const ServiceProbe *s = &m->bus.services[BUS_SERVICE_LOGIN1];
        const ProcWatch *p = &m->procs[PROC_LOGIN1];
        char d[32], n[32], b1[32], b2[32];

        format_count(m->sessions.count, n, sizeof(n));
        if (s->state == SVC_STUCK) {
                format_duration(now - s->unanswered_since_usec, d, sizeof(d));
                add_finding(f, SEV_CRITICAL,
                            "logind not answering for %s (pid %d, %u%% CPU, %s sessions on disk)",
                            d, (int) p->pid, p->cpu_percent, n);
        }
        if (s->queued_known && s->queued_bytes >= m->config.queue_skip_bytes) {
                format_bytes(s->queued_bytes, b1, sizeof(b1));
                format_bytes(m->config.queue_skip_bytes, b2, sizeof(b2));
                add_finding(f, SEV_CRITICAL,
                            "bus holds %s for logind (skip threshold %s, %+" PRId64 " B/s, pid %d)",
                            b1, b2, s->queue_trend_per_s, (int) p->pid);
        }
        if (s->state == SVC_SLOW) {
                format_duration(s->last_ping_usec, d, sizeof(d));
                add_finding(f, SEV_WARNING, "logind slow: %s round trip (pid %d, %u%% CPU)", d,
                            (int) p->pid, p->cpu_percent);
        }
        if (s->state == SVC_ABSENT)
                add_finding(f, SEV_WARNING,
                            "no logind on the bus (org.freedesktop.login1 has no owner)");
        if (p->restarts > 0 && now < p->last_restart_usec + RESTART_WARN_USEC)
                add_finding(f, SEV_WARNING, "logind restarted %u times (now pid %d)", p->restarts,
                            (int) p->pid);
        if (m->actions[BUS_SERVICE_LOGIN1].skip && !service_bad(m, s))
                add_finding(f, SEV_WARNING,
                            "logind recovering: logins skip it until %u healthy rounds",
                            m->config.healthy_rounds);
}

static void judge_devlog(const Manager *m, uint64_t now, Findings *f) {
        const DevlogReader *r = &m->reader;
        const Census *c = &m->census;
        char d[32], who[96] = "", blocked[160] = "", top[96] = "";

        if (m->devlog.state != DEVLOG_STUCK && m->devlog.state != DEVLOG_FULL)
                return;
        format_duration(now - m->devlog.full_since_usec, d, sizeof(d));
        if (r->pid > 0)
                (void) snprintf(who, sizeof(who), " %s (pid %d, state %c)", r->comm, (int) r->pid,
                                r->state);
        for (unsigned i = 0; i < c->n_writers && i < 3; i++) {
                size_t n = strlen(top);
                (void) snprintf(top + n, sizeof(top) - n, "%s%s %u", i ? ", " : " (",
                                c->writers[i].name, c->writers[i].count);
        }
        if (*top)
                (void) snprintf(top + strlen(top), sizeof(top) - strlen(top), ")");
        if (c->valid)
                (void) snprintf(blocked, sizeof(blocked), ", %u tasks blocked writing%s",
                                c->blocked, top);
        add_finding(f, m->devlog.state == DEVLOG_STUCK ? SEV_CRITICAL : SEV_WARNING,
                    "%s reader%s %s: queue full for %s%s", m->devlog.path, who,
                    m->devlog.state == DEVLOG_STUCK ? "stuck" : "not keeping up", d, blocked);
}

static void judge_other_sockets(const Manager *m, Findings *f) {
        const CensusEntry *o = &m->census.others[0];

        /* e.g. PID 1's notify socket (systemd issue 21885). */
        if (m->census.valid && m->census.n_others > 0 && o->count >= 5)
                add_finding(f, SEV_WARNING, "%u tasks blocked writing to %s (reader pid %d)",
                            o->count, o->name, (int) o->reader);
}

static void judge_others(const Manager *m, uint64_t now, Findings *f) {
        const ServiceProbe *ck = &m->bus.services[BUS_SERVICE_CONSOLEKIT];
        char a[32], b[32], d[32];

        if (ck->state == SVC_STUCK) {
                format_duration(now - ck->unanswered_since_usec, d, sizeof(d));
                add_finding(f, SEV_CRITICAL,
                            "console-kit-daemon not answering for %s (pid %d, %u%% CPU)", d,
                            (int) m->procs[PROC_CONSOLEKIT].pid,
                            m->procs[PROC_CONSOLEKIT].cpu_percent);
        }
        judge_devlog(m, now, f);
        judge_other_sockets(m, f);
        if (m->sessions.valid && m->sessions.count >= m->config.sessions_warn) {
                format_count(m->sessions.count, a, sizeof(a));
                format_count(m->config.sessions_warn, b, sizeof(b));
                add_finding(f, SEV_WARNING, "%s session entries in %s (warn at %s): sessions leak",
                            a, m->sessions.path, b);
        }
        if (m->scopes.valid && m->scopes.count >= m->config.scopes_warn) {
                format_count(m->scopes.count, a, sizeof(a));
                format_count(m->config.scopes_warn, b, sizeof(b));
                add_finding(f, SEV_WARNING, "%s session scopes in %s (warn at %s): scope leak", a,
                            m->scopes.path, b);
        }
        if (m->sessions_fs_known && m->sessions_fs_used >= FS_WARN_PERCENT)
                add_finding(f, SEV_WARNING, "filesystem of %s %u%% full", m->sessions.path,
                            m->sessions_fs_used);
        for (int i = 0; i < PROC_PID1; i++)
                if (m->procs[i].pid > 0 && m->procs[i].cpu_percent >= m->config.cpu_warn_percent)
                        add_finding(f, SEV_WARNING, "%s at %u%% CPU (pid %d)", m->procs[i].comm,
                                    m->procs[i].cpu_percent, (int) m->procs[i].pid);
        if (m->procs[PROC_PID1].cpu_percent >= PID1_CPU_WARN) {
                format_count(m->host.forks_per_s, a, sizeof(a));
                add_finding(f, SEV_WARNING,
                            "PID 1 at %u%% CPU, %s forks/s: a respawn loop? (not the login path)",
                            m->procs[PROC_PID1].cpu_percent, a);
        }
}

static void ok_summary(const Manager *m, Findings *f) {
        const ServiceProbe *s = &m->bus.services[BUS_SERVICE_LOGIN1];
        char d[32], n[32];

        format_duration(s->last_ping_usec, d, sizeof(d));
        format_count(m->sessions.count, n, sizeof(n));
        (void) snprintf(f->first, sizeof(f->first),
                        "ok: logind answers in %s (pid %d), %s sessions, %.120s %s", d,
                        (int) m->procs[PROC_LOGIN1].pid, n, m->devlog.path,
                        devlog_state_to_string(m->devlog.state));
}

static int set_verdict(Manager *m, Status *st, uint64_t now) {
        static const char *const names[] = { "ok", "warning", "critical" };
        Findings f = {};
        int r;

        judge_bus(m, now, &f);
        judge_login1(m, now, &f);
        judge_others(m, now, &f);
        if (f.n == 0)
                ok_summary(m, &f);
        else if (f.n > 1) {
                size_t len = strlen(f.first);
                (void) snprintf(f.first + len, sizeof(f.first) - len, " (+%u more)", f.n - 1);
        }
        r = status_set(st, "OVERALL", names[f.worst]);
        if (r >= 0)
                r = status_set(st, "SUMMARY", f.first);
        return r;
}

static int set_header(Manager *m, Status *st, uint64_t now) {
        int r;

        r = status_set_u64(st, "WRITTEN_MONOTONIC_USEC", now_usec(CLOCK_MONOTONIC));
        if (r >= 0)
                r = status_set_u64(st, "WRITTEN_REALTIME_USEC", now_usec(CLOCK_REALTIME));
        if (r >= 0)
                r = status_set_u64(st, "GUARDD_PID", (uint64_t) getpid());
        if (r >= 0)
                r = status_set_u64(st, "INTERVAL_USEC", m->config.interval_usec);
        return r;
}

static int set_guardd(Manager *m, Status *st) {
        int r;

        r = status_set_u64(st, "GUARDD_ROUND_USEC", m->round_cost_usec);
        if (r >= 0)
                r = status_set_u64(st, "GUARDD_ROUNDS", m->rounds);
        if (r >= 0)
                r = status_set_u64(st, "GUARDD_LOG_DROPPED", log_dropped());
        if (r >= 0)
                r = status_set(st, "BUS_ADDRESS", m->bus.address);
        return r;
}

/**
 * verdict_compose() - build this round's status from the probes.
 * @m: manager (the skip actions are updated)
 * @now: CLOCK_MONOTONIC usec
 * @ret: the status
 *
 * Return: 0 or -errno.
 */
int verdict_compose(Manager *m, uint64_t now, Status **ret) {
        _cleanup_(status_freep) Status *st = NULL;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(m->actions); i++)
                update_action(&m->actions[i], service_bad(m, &m->bus.services[i]),
                              m->config.healthy_rounds);
        r = status_new(&st);
        if (r < 0)
                return r;
        r = set_header(m, st, now);
        if (r >= 0)
                r = set_verdict(m, st, now);
        if (r >= 0)
                r = status_set(st, "BUS", bus_state_to_string(m->bus.state));
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(m->bus.services); i++)
                r = set_service(m, st, i);
        if (r >= 0)
                r = set_queue(m, st);
        for (int i = 0; r >= 0 && i < _PROC_MAX; i++)
                r = set_proc(st, &m->procs[i]);
        if (r >= 0)
                r = set_devlog(m, st);
        if (r >= 0)
                r = set_counts(m, st);
        if (r >= 0)
                r = set_guardd(m, st);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(st);
        return 0;
}
