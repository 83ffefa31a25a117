/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Output formats. Metric names, their status keys, their types and their
 * thresholds are one table, so the Prometheus text, the Nagios perfdata and
 * the JSON types cannot drift apart. Text from the status is sanitized once
 * more on the way out: a status file written by anything else still gives
 * valid UTF-8 JSON and a Nagios line whose text holds no '|'.
 */
#include "output.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "io-util.h"
#include "macro.h"
#include "parse-util.h"

#define RUNBOOK "docs/runbook.md"

static const char *const state_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

typedef enum KeyType { KEY_STRING, KEY_UINT, KEY_INT } KeyType;

typedef struct Metric {
        const char *key;
        const char *name; /* Prometheus; NULL: JSON type only */
        const char *type; /* gauge, counter */
        const char *help;
        double scale; /* value * scale */
        const char *perf; /* Nagios perfdata label, NULL = not in perfdata */
        const char *unit; /* Nagios unit of measure */
        const char *warn_key; /* threshold keys for perfdata, or NULL */
        const char *crit_key;
        KeyType json;
} Metric;

#define GAUGE(k, n, h) { k, n, "gauge", h, 1, NULL, NULL, NULL, NULL, KEY_UINT }
#define SECONDS(k, n, h) { k, n, "gauge", h, 1e-6, NULL, NULL, NULL, NULL, KEY_UINT }
#define COUNTER(k, n, h) { k, n, "counter", h, 1, NULL, NULL, NULL, NULL, KEY_UINT }
#define SIGNED(k, n, h) { k, n, "gauge", h, 1, NULL, NULL, NULL, NULL, KEY_INT }
#define NUMBER(k) { k, NULL, NULL, NULL, 1, NULL, NULL, NULL, NULL, KEY_UINT }

static const Metric metrics[] = {
        { "LOGIN1_PING_USEC", "loginguard_login1_ping_seconds", "gauge",
          "Last login1 Peer.Ping round trip.", 1e-6, "login1_ping", "s", "LOGIN1_SLOW_USEC", NULL,
          KEY_UINT },
        SECONDS("LOGIN1_UNANSWERED_USEC", "loginguard_login1_unanswered_seconds",
                "How long logind has not answered."),
        { "LOGIN1_QUEUED_BYTES", "loginguard_login1_queued_bytes", "gauge",
          "Bytes the bus holds for logind (bus statistics).", 1, "login1_queued", "B",
          "LOGIN1_QUEUE_GROWTH_WARN_BYTES", "LOGIN1_QUEUE_SKIP_BYTES", KEY_UINT },
        SIGNED("LOGIN1_QUEUE_TREND_BYTES_PER_S", "loginguard_login1_queue_trend_bytes_per_second",
               "Change of the bus queue for logind per second."),
        SIGNED("LOGIN1_QUEUE_GROWTH_30S_BYTES", "loginguard_login1_queue_growth_30s_bytes",
               "Growth of the bus queue for logind over the last 30 s."),
        GAUGE("LOGIN1_QUEUE_SKIP_BYTES", "loginguard_login1_queue_skip_bytes",
              "Threshold: queue size at which logins skip logind (queue_skip_bytes)."),
        GAUGE("LOGIN1_QUEUE_GROWTH_WARN_BYTES", "loginguard_login1_queue_growth_warn_bytes",
              "Threshold: queue growth in 30 s that warns (queue_growth_warn_bytes)."),
        GAUGE("LOGIN1_QUEUE_LIMIT_BYTES", "loginguard_login1_queue_limit_bytes",
              "dbus-daemon's per-connection outgoing limit."),
        SECONDS("LOGIN1_SLOW_USEC", "loginguard_login1_slow_seconds",
                "Threshold: a login1 round trip this long is slow (login1_slow_ms)."),
        GAUGE("LOGIN1_PID", "loginguard_login1_pid", "PID of systemd-logind."),
        { "LOGIN1_CPU_PERCENT", "loginguard_login1_cpu_percent", "gauge",
          "CPU of systemd-logind over the last interval.", 1, "login1_cpu", "%", "CPU_WARN_PERCENT",
          NULL, KEY_UINT },
        { "LOGIN1_RSS_BYTES", "loginguard_login1_rss_bytes", "gauge",
          "Resident memory of systemd-logind.", 1, "login1_rss", "B", NULL, NULL, KEY_UINT },
        { "LOGIN1_RESTARTS", "loginguard_login1_restarts_total", "counter",
          "logind PID changes seen since guardd started.", 1, "login1_restarts", "c", NULL, NULL,
          KEY_UINT },
        SECONDS("CONSOLEKIT_PING_USEC", "loginguard_consolekit_ping_seconds",
                "Last ConsoleKit Peer.Ping round trip."),
        SECONDS("CONSOLEKIT_UNANSWERED_USEC", NULL, NULL),
        GAUGE("CONSOLEKIT_PID", NULL, NULL),
        GAUGE("CONSOLEKIT_CPU_PERCENT", "loginguard_consolekit_cpu_percent",
              "CPU of console-kit-daemon over the last interval."),
        GAUGE("CONSOLEKIT_RSS_BYTES", NULL, NULL),
        COUNTER("CONSOLEKIT_RESTARTS", NULL, NULL),
        GAUGE("BUS_PID", NULL, NULL),
        { "BUS_CPU_PERCENT", "loginguard_bus_cpu_percent", "gauge",
          "CPU of the bus daemon over the last interval.", 1, "bus_cpu", "%", "CPU_WARN_PERCENT",
          NULL, KEY_UINT },
        GAUGE("BUS_RSS_BYTES", "loginguard_bus_rss_bytes", "Resident memory of the bus daemon."),
        COUNTER("BUS_RESTARTS", NULL, NULL),
        GAUGE("PID1_PID", NULL, NULL),
        { "PID1_CPU_PERCENT", "loginguard_pid1_cpu_percent", "gauge",
          "CPU of PID 1 over the last interval.", 1, "pid1_cpu", "%", NULL, NULL, KEY_UINT },
        GAUGE("PID1_RSS_BYTES", NULL, NULL),
        COUNTER("PID1_RESTARTS", NULL, NULL),
        { "PID1_PING_USEC", "loginguard_pid1_ping_seconds", "gauge",
          "Last Peer.Ping round trip to PID 1 (org.freedesktop.systemd1).", 1e-6, "pid1_ping", "s",
          NULL, NULL, KEY_UINT },
        SECONDS("PID1_USERDB_USEC", "loginguard_pid1_userdb_seconds",
                "Last round trip to PID 1's userdb Varlink socket."),
        SECONDS("PID1_UNANSWERED_USEC", "loginguard_pid1_unanswered_seconds",
                "How long PID 1 has not answered."),
        GAUGE("PID1_JOBS_PER_S", "loginguard_pid1_jobs_per_second",
              "New jobs of PID 1 per second."),
        GAUGE("PID1_JOBS_30S", "loginguard_pid1_jobs_30s", "New jobs of PID 1 in the last 30 s."),
        { "SESSIONS", "loginguard_sessions", "gauge", "Entries in logind's sessions directory.", 1,
          "sessions", "", "SESSIONS_WARN", NULL, KEY_UINT },
        { "SESSION_SCOPES", "loginguard_session_scopes", "gauge",
          "session-*.scope entries in the units directory.", 1, "session_scopes", "", "SCOPES_WARN",
          NULL, KEY_UINT },
        GAUGE("SESSIONS_WARN", "loginguard_sessions_warn", "Threshold: sessions_warn."),
        { "USER_JOBS_PENDING", "loginguard_user_jobs_pending", "gauge",
          "Start jobs of single users' units (user@UID, user-runtime-dir@UID, session scopes) "
          "pending longer than user_job_warn_ms.",
          1, "user_jobs", "", NULL, NULL, KEY_UINT },
        GAUGE("USER_BREAKERS_OPEN", "loginguard_user_breakers_open",
              "Users whose own breaker is open: their logins skip pam_systemd, others' do not."),
        SECONDS("USER_JOB_WARN_USEC", "loginguard_user_job_warn_seconds",
                "Threshold: user_job_warn_ms."),
        GAUGE("SCOPES_WARN", "loginguard_session_scopes_warn", "Threshold: scopes_warn."),
        GAUGE("CPU_WARN_PERCENT", "loginguard_cpu_warn_percent", "Threshold: cpu_warn_percent."),
        GAUGE("SESSIONS_FS_USED_PERCENT", "loginguard_sessions_fs_used_percent",
              "Fill of the filesystem holding the sessions directory."),
        { "DEVLOG_BLOCKED_WRITERS", "loginguard_devlog_blocked_writers", "gauge",
          "Tasks blocked writing to /dev/log.", 1, "devlog_blocked", "", NULL, NULL, KEY_UINT },
        SECONDS("DEVLOG_FULL_USEC", "loginguard_devlog_full_seconds",
                "How long the /dev/log queue has been full."),
        GAUGE("DEVLOG_READER_PID", NULL, NULL),
        GAUGE("DEVLOG_CENSUS_USEC", NULL, NULL),
        COUNTER("DEVLOG_SPOOLED", "loginguard_devlog_spooled_total",
                "Messages the drain took into the spool this episode."),
        COUNTER("DEVLOG_REPLAYED", "loginguard_devlog_replayed_total",
                "Messages replayed from the spool this episode."),
        GAUGE("DEVLOG_SPOOL_PENDING_BYTES", "loginguard_devlog_spool_pending_bytes",
              "Spooled bytes not replayed yet."),
        COUNTER("DEVLOG_LOST", "loginguard_devlog_lost_total",
                "Messages the drain took but could not keep."),
        { "FORKS_PER_S", "loginguard_forks_per_second", "gauge",
          "Host fork rate (/proc/stat processes).", 1, "forks_per_s", "", NULL, NULL, KEY_UINT },
        GAUGE("MOUNTS", "loginguard_mounts", "Entries in the mount table."),
        GAUGE("MOUNT_CHANGES_PER_S", "loginguard_mount_changes_per_second",
              "Mount table changes per second."),
        GAUGE("MOUNT_CHANGES_30S", "loginguard_mount_changes_30s",
              "Mount table changes in the last 30 s."),
        SIGNED("MOUNTS_DELTA_30S", "loginguard_mounts_delta_30s",
               "Change of the number of mounts over the last 30 s."),
        { "FALLBACKS", "loginguard_fallbacks_total", "counter",
          "Logins that skipped or cut the wrapped module since guardd started.", 1, "fallbacks",
          "c", NULL, NULL, KEY_UINT },
        COUNTER("FALLBACKS_SKIPPED", "loginguard_fallbacks_skipped_total",
                "Of those, logins that skipped the wrapped module (guardd's verdict or an open "
                "breaker)."),
        COUNTER("FALLBACKS_CUT", "loginguard_fallbacks_cut_total",
                "Of those, logins whose wrapped call was cut at the deadline or after patience."),
        SECONDS("GUARDD_ROUND_USEC", "loginguard_guardd_round_seconds",
                "Time guardd spent on its last round."),
        COUNTER("GUARDD_ROUNDS", NULL, NULL),
        COUNTER("GUARDD_LATE_CALLS", "loginguard_guardd_late_calls_total",
                "Probe calls left unjudged and sent again because guardd itself was late."),
        COUNTER("GUARDD_LOG_DROPPED", "loginguard_guardd_log_dropped_total",
                "Log lines guardd dropped rather than block."),
        COUNTER("GUARDD_NOTIFY_DROPPED", "loginguard_guardd_notify_dropped_total",
                "Notifications to PID 1 guardd dropped rather than block."),
        GAUGE("WATCH_ARMED", "loginguard_watch_armed",
              "Wrapped calls guardd watches now (their deadline, instead of a thread)."),
        COUNTER("WATCH_CALLS", "loginguard_watch_calls_total",
                "Wrapped calls handed to guardd to watch, this boot."),
        COUNTER("WATCH_CUTS", "loginguard_watch_cuts_total",
                "Connections guardd cut at a wrapped call's deadline since it started."),
        NUMBER("WRITTEN_MONOTONIC_USEC"),
        NUMBER("WRITTEN_REALTIME_USEC"),
        NUMBER("GUARDD_PID"),
        NUMBER("INTERVAL_USEC"),
};

typedef struct EnumMetric {
        const char *key;
        const char *name;
        const char *help;
        const char *const *values;
} EnumMetric;

static const char *const overall_values[] = { "ok", "warning", "critical", NULL };
static const char *const bus_values[] = { "ok", "stuck", "down", NULL };
static const char *const svc_values[] = { "ok", "slow", "stuck", "absent", "unknown", NULL };
static const char *const action_values[] = { "allow", "skip", NULL };
static const char *const devlog_values[] = { "ok", "full", "stuck", "absent", NULL };
static const char *const pid1_values[] = { "ok", "busy", "stuck", "stopped", "unknown", NULL };
static const char *const breaker_values[] = { "closed", "open", "half-open", NULL };
static const char *const culprit_values[] = { "none",      "bus",        "pid1",   "login1",
                                              "bus-queue", "consolekit", "devlog", "leak",
                                              "host",      "guardd",     "user",   NULL };

static const EnumMetric enum_metrics[] = {
        { "OVERALL", "loginguard_overall", "Overall verdict (1 for the current state).",
          overall_values },
        { "CULPRIT", "loginguard_culprit", "What the summary blames (1 for the current one).",
          culprit_values },
        { "BUS", "loginguard_bus_state", "System bus state.", bus_values },
        { "LOGIN1", "loginguard_login1_state", "systemd-logind state on the bus.", svc_values },
        { "LOGIN1_ACTION", "loginguard_login1_action", "What pam_loginguard does with pam_systemd.",
          action_values },
        { "LOGIN1_BREAKER", "loginguard_login1_breaker", "pam_loginguard's breaker for logind.",
          breaker_values },
        { "PID1", "loginguard_pid1_state", "PID 1's health.", pid1_values },
        { "CONSOLEKIT", "loginguard_consolekit_state", "ConsoleKit state on the bus.", svc_values },
        { "CONSOLEKIT_ACTION", "loginguard_consolekit_action",
          "What pam_loginguard does with pam_ck_connector.", action_values },
        { "DEVLOG", "loginguard_devlog_state", "/dev/log reader state.", devlog_values },
};

static const Metric *metric_of(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(metrics); i++)
                if (strcmp(metrics[i].key, key) == 0)
                        return &metrics[i];
        return NULL;
}

/**
 * output_state() - monitoring state for a status: 0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN (missing, unreadable or stale).
 * @c: context
 *
 * Return: the state.
 */
int output_state(const OutputContext *c) {
        const char *o;

        assert(c);
        if (!c->status || c->stale)
                return STATE_UNKNOWN;
        o = status_get(c->status, "OVERALL");
        if (!o)
                return STATE_UNKNOWN;
        if (strcmp(o, "ok") == 0)
                return STATE_OK;
        if (strcmp(o, "warning") == 0)
                return STATE_WARNING;
        if (strcmp(o, "critical") == 0)
                return STATE_CRITICAL;
        return STATE_UNKNOWN;
}

static const char *get(const OutputContext *c, const char *key) {
        const char *v = c->status ? status_get(c->status, key) : NULL;

        return v && *v ? v : NULL;
}

static void unknown_reason(const OutputContext *c, char *buf, size_t size) {
        const char *pid = get(c, "GUARDD_PID");
        char age[32], path[256];

        status_sanitize(c->path, path, sizeof(path));
        if (!c->status) {
                (void) snprintf(buf, size, "status %s %s: guardd is not running or cannot write it",
                                path, c->problem ? c->problem : "is unusable");
                return;
        }
        format_duration(c->age_usec, age, sizeof(age));
        if (c->liveness == GUARDD_ALIVE)
                (void) snprintf(buf, size,
                                "status %s is %s old, but guardd (pid %s) is alive: state %c, "
                                "waiting in %s",
                                path, age, pid ? pid : "?", c->guardd_state ? c->guardd_state : '?',
                                *c->guardd_wchan ? c->guardd_wchan : "?");
        else
                (void) snprintf(buf, size, "status %s is %s old: guardd is not running (pid %s gone)",
                                path, age, pid ? pid : "?");
}

static void summary_line(const OutputContext *c, char *buf, size_t size) {
        char raw[512];

        if (output_state(c) == STATE_UNKNOWN)
                unknown_reason(c, raw, sizeof(raw));
        else
                (void) snprintf(raw, sizeof(raw), "%s", get(c, "SUMMARY") ? get(c, "SUMMARY") : "no summary");
        status_sanitize(raw, buf, size);
}

/* Integers exactly (byte counts exceed a double's %g precision), scaled
 * values as decimals; false when the value is empty or not a number. */
static bool metric_value(const OutputContext *c, const Metric *m, char *buf, size_t size) {
        const char *v = get(c, m->key);
        uint64_t u;

        if (!v)
                return false;
        if (m->json == KEY_INT) {
                int64_t s;

                if (parse_i64(v, &s) < 0)
                        return false;
                (void) snprintf(buf, size, "%" PRId64, s);
                return true;
        }
        if (parse_u64(v, &u) < 0)
                return false;
        if (m->scale == 1)
                (void) snprintf(buf, size, "%" PRIu64, u);
        else
                (void) snprintf(buf, size, "%.9g", (double) u * m->scale);
        return true;
}

/* Perfdata: label=value[UOM];warn;crit, thresholds from the status. */
static void nagios_perf(const OutputContext *c, const Metric *m, FILE *f) {
        char v[32], w[32] = "", x[32] = "";
        const Metric *wm = m->warn_key ? metric_of(m->warn_key) : NULL;
        const Metric *cm = m->crit_key ? metric_of(m->crit_key) : NULL;

        if (!metric_value(c, m, v, sizeof(v)))
                return;
        if (wm && !metric_value(c, wm, w, sizeof(w)))
                w[0] = '\0';
        if (cm && !metric_value(c, cm, x, sizeof(x)))
                x[0] = '\0';
        fprintf(f, " %s=%s%s", m->perf, v, m->unit);
        if (*w || *x)
                fprintf(f, ";%s;%s", w, x);
}

static void render_nagios(const OutputContext *c, FILE *f) {
        char line[512];

        summary_line(c, line, sizeof(line));
        /* '|' starts the perfdata: none may appear in the text. */
        for (char *p = line; *p; p++)
                if (*p == '|')
                        *p = '/';
        fprintf(f, "LOGINGUARD %s - %s |", state_names[output_state(c)], line);
        for (size_t i = 0; i < ELEMENTSOF(metrics); i++)
                if (metrics[i].perf)
                        nagios_perf(c, &metrics[i], f);
        fputc('\n', f);
}

/**
 * output_nagios_usage() - a usage error, as a plugin reports one: a single
 * UNKNOWN line (exit 3).
 * @f: stream
 * @problem: what was wrong
 */
void output_nagios_usage(FILE *f, const char *problem) {
        char clean[256];

        assert(f);
        status_sanitize(problem, clean, sizeof(clean));
        for (char *p = clean; *p; p++)
                if (*p == '|')
                        *p = '/';
        fprintf(f, "LOGINGUARD UNKNOWN - usage: %s; see guardd --help\n", clean);
}

static void prometheus_enum(const OutputContext *c, const EnumMetric *e, FILE *f) {
        const char *cur = get(c, e->key);

        fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", e->name, e->help, e->name);
        for (const char *const *val = e->values; *val; val++)
                fprintf(f, "%s{state=\"%s\"} %d\n", e->name, *val, cur && strcmp(cur, *val) == 0);
}

/* USER_JOBS: "user:uid:unit:age_s" entries, comma-separated. Calls @fn
 * for each well-formed one; the fields hold no ',' or ':' (guardd
 * replaced them) and are sanitized again here. */
typedef void (*UserJobFn)(FILE *f, const char *user, const char *uid, const char *unit,
                          const char *age, bool first);

static void each_user_job(const OutputContext *c, FILE *f, UserJobFn fn) {
        const char *list = get(c, "USER_JOBS");
        char buf[1024], *save = NULL;
        bool first = true;

        if (!list)
                return;
        status_sanitize(list, buf, sizeof(buf));
        for (char *e = strtok_r(buf, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
                char *user = e, *uid = strchr(user, ':'), *unit, *age;
                uint64_t n;

                if (!uid)
                        continue;
                *uid++ = '\0';
                unit = strchr(uid, ':');
                if (!unit)
                        continue;
                *unit++ = '\0';
                age = strchr(unit, ':');
                if (!age)
                        continue;
                *age++ = '\0';
                if (parse_u64(age, &n) < 0 || strchr(age, ':'))
                        continue;
                fn(f, user, uid, unit, age, first);
                first = false;
        }
}

/* A Prometheus label value: '\\' and '"' escaped (the text is sanitized). */
static void prom_label(FILE *f, const char *name, const char *v, bool comma) {
        fprintf(f, "%s%s=\"", comma ? "," : "", name);
        for (const char *p = v; *p; p++) {
                if (*p == '\\' || *p == '"')
                        fputc('\\', f);
                fputc(*p, f);
        }
        fputc('"', f);
}

static void prom_user_job(FILE *f, const char *user, const char *uid, const char *unit,
                          const char *age, bool first) {
        if (first)
                fprintf(f,
                        "# HELP loginguard_user_job_pending_seconds How long a start job of PID 1 "
                        "for one user's unit (user@UID, user-runtime-dir@UID, a session scope) has "
                        "been pending.\n# TYPE loginguard_user_job_pending_seconds gauge\n");
        fprintf(f, "loginguard_user_job_pending_seconds{");
        prom_label(f, "user", user, false);
        prom_label(f, "uid", uid, true);
        prom_label(f, "unit", unit, true);
        fprintf(f, "} %s\n", age);
}

static void render_prometheus(const OutputContext *c, FILE *f) {
        const char *w = get(c, "WRITTEN_REALTIME_USEC");
        uint64_t t = 0;
        char v[32];

        fprintf(f, "# HELP loginguard_guardd_up Whether guardd's status is present and fresh.\n"
                   "# TYPE loginguard_guardd_up gauge\n");
        fprintf(f, "loginguard_guardd_up %d\n", c->status && !c->stale ? 1 : 0);
        if (w && parse_u64(w, &t) == 0)
                fprintf(f,
                        "# HELP loginguard_guardd_last_update_timestamp_seconds When guardd last "
                        "wrote its status.\n"
                        "# TYPE loginguard_guardd_last_update_timestamp_seconds gauge\n"
                        "loginguard_guardd_last_update_timestamp_seconds %.3f\n",
                        (double) t / 1e6);
        if (!c->status)
                return;
        for (size_t i = 0; i < ELEMENTSOF(enum_metrics); i++)
                prometheus_enum(c, &enum_metrics[i], f);
        for (size_t i = 0; i < ELEMENTSOF(metrics); i++)
                if (metrics[i].name && metric_value(c, &metrics[i], v, sizeof(v)))
                        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", metrics[i].name,
                                metrics[i].help, metrics[i].name, metrics[i].type, metrics[i].name, v);
        each_user_job(c, f, prom_user_job);
}

/* A JSON string of sanitized text: valid UTF-8, controls escaped. */
static void json_string(FILE *f, const char *raw) {
        char s[2048];

        status_sanitize(raw, s, sizeof(s));
        fputc('"', f);
        for (const char *p = s; *p; p++) {
                unsigned char ch = (unsigned char) *p;
                if (ch == '"' || ch == '\\')
                        fprintf(f, "\\%c", ch);
                else if (ch < 0x20)
                        fprintf(f, "\\u%04x", ch);
                else
                        fputc(ch, f);
        }
        fputc('"', f);
}

/* One type per key, whatever its value: numbers for the known numeric
 * keys (null when empty or not a number), strings for the rest. */
static void json_value(FILE *f, const char *key, const char *v) {
        const Metric *m = metric_of(key);
        uint64_t u;
        int64_t s;

        if (!m)
                json_string(f, v);
        else if (m->json == KEY_UINT && parse_u64(v, &u) == 0)
                fprintf(f, "%" PRIu64, u);
        else if (m->json == KEY_INT && parse_i64(v, &s) == 0)
                fprintf(f, "%" PRId64, s);
        else
                fprintf(f, "null");
}

static void json_user_job(FILE *f, const char *user, const char *uid, const char *unit,
                          const char *age, bool first) {
        uint64_t n;

        fprintf(f, "%s{\"user\":", first ? "" : ",");
        json_string(f, user);

        fprintf(f, ",\"uid\":%s,\"unit\":", parse_u64(uid, &n) == 0 ? uid : "null");
        json_string(f, unit);
        fprintf(f, ",\"pending_seconds\":%s}", age);
}

static void render_json(const OutputContext *c, FILE *f) {
        static const char *const liveness[] = { [GUARDD_UNCHECKED] = NULL, [GUARDD_GONE] = "gone",
                                                [GUARDD_ALIVE] = "alive" };
        char line[512];

        summary_line(c, line, sizeof(line));
        fprintf(f, "{\"state\":\"%s\",\"exit_code\":%d,\"summary\":", state_names[output_state(c)],
                output_state(c));
        json_string(f, line);
        fprintf(f, ",\"path\":");
        json_string(f, c->path);
        fprintf(f, ",\"age_seconds\":%.3f,\"stale\":%s,\"guardd\":", (double) c->age_usec / 1e6,
                c->stale ? "true" : "false");
        if (liveness[c->liveness])
                fprintf(f, "\"%s\"", liveness[c->liveness]);
        else
                fprintf(f, "null");
        fprintf(f, ",\"status\":{");
        for (size_t i = 0; c->status && i < status_count(c->status); i++) {
                fprintf(f, "%s", i ? "," : "");
                json_string(f, status_key_at(c->status, i));
                fputc(':', f);
                json_value(f, status_key_at(c->status, i), status_value_at(c->status, i));
        }
        fprintf(f, "},\"user_jobs\":[");
        each_user_job(c, f, json_user_job);
        fprintf(f, "]}\n");
}

typedef struct Hint {
        const char *key;
        const char *value;
        const char *text;
        const char *not_culprit; /* a hint that would mislead while this is the culprit */
} Hint;

/* What to do next, from docs/runbook.md, shortest safe steps first. */
static const Hint hints[] = {
        { "CULPRIT", "pid1",
          "PID 1 is the culprit: logind waits on it. Find what keeps it busy (`findmnt | wc -l`, "
          "`systemctl list-jobs`, `top -p 1`) and stop that (the mount churn, the respawning unit); "
          "restarting logind does not help. A stopped PID 1 (state T): `kill -CONT 1`.", NULL },
        { "BUS", "down",
          "The system bus is down: `systemctl status dbus`; logins skip logind meanwhile. "
          "Restart dbus only from a console session you already have.", NULL },
        { "BUS", "stuck",
          "dbus-daemon does not answer: check its CPU (`top -p $BUS_PID`) and "
          "`busctl --system list` from a second shell; `journalctl -u dbus`.", NULL },
        { "LOGIN1", "stuck",
          "logind does not answer: `journalctl -u systemd-logind -n 50`, "
          "`ls /run/systemd/sessions | wc -l`; then `systemctl restart systemd-logind` "
          "(existing sessions survive).",
          "pid1" },
        { "LOGIN1", "slow",
          "logind is slow: watch LOGIN1_CPU_PERCENT and SESSIONS; a growing sessions directory "
          "means a leak (incident 1).", NULL },
        { "CULPRIT", "bus-queue",
          "The bus queue for logind grows: look for mount churn (MOUNT_CHANGES_30S) and stop it; "
          "the queue drains once logind catches up.", NULL },
        { "CONSOLEKIT", "stuck",
          "console-kit-daemon does not answer: restart it; logins skip it meanwhile.", NULL },
        { "DEVLOG", "stuck",
          "The /dev/log reader stopped reading: find it with `ss -xlp | grep /dev/log`, "
          "check its state (T = stopped: `kill -CONT`), restart its unit.", NULL },
        { "DEVLOG", "full", "The /dev/log queue is full: the syslog daemon is not keeping up.", NULL },
        { "CULPRIT", "leak", "Sessions or scopes leak: plan a logind restart and the systemd fix.", NULL },
};

static void render_rows(const OutputContext *c, FILE *f) {
        static const char *const rows[][2] = {
                { "CULPRIT", "culprit" },
                { "BUS", "bus" },
                { "LOGIN1", "login1" },
                { "LOGIN1_ACTION", "  action" },
                { "LOGIN1_BREAKER", "  breaker" },
                { "LOGIN1_PID", "  pid" },
                { "LOGIN1_PING_USEC", "  ping (us)" },
                { "LOGIN1_CPU_PERCENT", "  cpu %" },
                { "LOGIN1_RSS_BYTES", "  rss (bytes)" },
                { "LOGIN1_RESTARTS", "  restarts" },
                { "LOGIN1_QUEUED_BYTES", "  bus queue (bytes)" },
                { "LOGIN1_QUEUE_GROWTH_30S_BYTES", "  queue growth 30 s" },
                { "PID1", "PID 1" },
                { "PID1_CPU_PERCENT", "  cpu %" },
                { "PID1_PING_USEC", "  bus ping (us)" },
                { "PID1_USERDB_USEC", "  userdb (us)" },
                { "PID1_JOBS_PER_S", "  jobs/s" },
                { "CONSOLEKIT", "consolekit" },
                { "DEVLOG", "/dev/log" },
                { "DEVLOG_READER_PID", "  reader pid" },
                { "DEVLOG_BLOCKED_WRITERS", "  blocked writers" },
                { "DEVLOG_REMEDY_RESULT", "  remedy" },
                { "SESSIONS", "sessions on disk" },
                { "SESSION_SCOPES", "session scopes" },
                { "FORKS_PER_S", "forks/s" },
                { "MOUNTS", "mounts" },
                { "MOUNT_CHANGES_30S", "mount changes 30 s" },
                { "FALLBACKS", "logins fallen back" },
                { "FALLBACKS_SKIPPED", "  skipped" },
                { "FALLBACKS_CUT", "  cut" },
                { "WATCHDOG", "deadlines watched by" },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                char v[256];

                status_sanitize(get(c, rows[i][0]) ? get(c, rows[i][0]) : "-", v, sizeof(v));
                fprintf(f, "  %-20s %s\n", rows[i][1], v);
        }
}

static void render_human(const OutputContext *c, FILE *f) {
        char line[512], age[32], path[256];
        bool hinted = false;

        summary_line(c, line, sizeof(line));
        fprintf(f, "loginguard: %s - %s\n", state_names[output_state(c)], line);
        if (!c->status)
                return;
        format_duration(c->age_usec, age, sizeof(age));
        status_sanitize(c->path, path, sizeof(path));
        fprintf(f, "  (status %s, written %s ago by guardd pid %s)\n\n", path, age,
                get(c, "GUARDD_PID") ? get(c, "GUARDD_PID") : "?");
        render_rows(c, f);
        for (size_t i = 0; i < ELEMENTSOF(hints); i++) {
                const char *v = get(c, hints[i].key), *culprit = get(c, "CULPRIT");

                if (!v || strcmp(v, hints[i].value) != 0 ||
                    (hints[i].not_culprit && culprit && strcmp(culprit, hints[i].not_culprit) == 0))
                        continue;
                fprintf(f, "%s  - %s\n", hinted ? "" : "\nWhat to do next (" RUNBOOK "):\n",
                        hints[i].text);
                hinted = true;
        }
}

/**
 * output_render() - print the status in @mode.
 * @c: context
 * @mode: format
 * @f: stream
 *
 * Return: the monitoring state (exit code).
 */
int output_render(const OutputContext *c, OutputMode mode, FILE *f) {
        assert(c);
        assert(f);

        switch (mode) {
        case OUTPUT_JSON: render_json(c, f); break;
        case OUTPUT_NAGIOS: render_nagios(c, f); break;
        case OUTPUT_PROMETHEUS: render_prometheus(c, f); break;
        default: render_human(c, f); break;
        }
        return output_state(c);
}

/**
 * output_write_metrics() - write the Prometheus textfile atomically.
 * @s: fresh status
 * @path: textfile (node-exporter's textfile directory)
 *
 * Return: 0 or -errno.
 */
int output_write_metrics(const Status *s, const char *path) {
        OutputContext c = { .status = s, .path = path };
        _cleanup_free_ char *text = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t len = 0;

        assert(s);
        assert(path);
        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        render_prometheus(&c, f);
        if (ferror(f))
                return -EIO;
        /* The text and its length are final only once the stream is closed. */
        if (fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;
        return write_file_atomic(AT_FDCWD, path, text, len, 0644, false);
}
