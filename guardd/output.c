/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Output formats. Metric names and their status keys are one table, so
 * the Prometheus text and the Nagios perfdata cannot drift apart.
 */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "io-util.h"
#include "macro.h"
#include "parse-util.h"

static const char *const state_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

typedef struct Metric {
        const char *key;
        const char *name;
        const char *type;
        const char *help;
        double scale; /* value * scale */
        const char *perf; /* Nagios perfdata label, NULL = not in perfdata */
        const char *unit; /* Nagios unit of measure */
} Metric;

static const Metric metrics[] = {
        { "LOGIN1_PING_USEC", "loginguard_login1_ping_seconds", "gauge",
          "Last login1 Peer.Ping round trip.", 1e-6, "login1_ping", "s" },
        { "LOGIN1_UNANSWERED_USEC", "loginguard_login1_unanswered_seconds", "gauge",
          "How long logind has not answered.", 1e-6, NULL, NULL },
        { "LOGIN1_QUEUED_BYTES", "loginguard_login1_queued_bytes", "gauge",
          "Bytes the bus holds for logind (bus statistics).", 1, "login1_queued", "B" },
        { "LOGIN1_QUEUE_SKIP_BYTES", "loginguard_login1_queue_skip_bytes", "gauge",
          "Queue size at which logins skip logind.", 1, NULL, NULL },
        { "LOGIN1_PID", "loginguard_login1_pid", "gauge", "PID of systemd-logind.", 1, NULL, NULL },
        { "LOGIN1_CPU_PERCENT", "loginguard_login1_cpu_percent", "gauge",
          "CPU of systemd-logind over the last interval.", 1, "login1_cpu", "%" },
        { "LOGIN1_RSS_BYTES", "loginguard_login1_rss_bytes", "gauge",
          "Resident memory of systemd-logind.", 1, "login1_rss", "B" },
        { "LOGIN1_RESTARTS", "loginguard_login1_restarts_total", "counter",
          "logind PID changes seen since guardd started.", 1, "login1_restarts", "c" },
        { "BUS_CPU_PERCENT", "loginguard_bus_cpu_percent", "gauge",
          "CPU of the bus daemon over the last interval.", 1, "bus_cpu", "%" },
        { "BUS_RSS_BYTES", "loginguard_bus_rss_bytes", "gauge",
          "Resident memory of the bus daemon.", 1, NULL, NULL },
        { "CONSOLEKIT_PING_USEC", "loginguard_consolekit_ping_seconds", "gauge",
          "Last ConsoleKit Peer.Ping round trip.", 1e-6, NULL, NULL },
        { "PID1_CPU_PERCENT", "loginguard_pid1_cpu_percent", "gauge",
          "CPU of PID 1 over the last interval.", 1, "pid1_cpu", "%" },
        { "SESSIONS", "loginguard_sessions", "gauge", "Entries in logind's sessions directory.", 1,
          "sessions", "" },
        { "SESSION_SCOPES", "loginguard_session_scopes", "gauge",
          "session-*.scope entries in the units directory.", 1, "session_scopes", "" },
        { "SESSIONS_FS_USED_PERCENT", "loginguard_sessions_fs_used_percent", "gauge",
          "Fill of the filesystem holding the sessions directory.", 1, NULL, NULL },
        { "DEVLOG_BLOCKED_WRITERS", "loginguard_devlog_blocked_writers", "gauge",
          "Tasks blocked writing to /dev/log.", 1, "devlog_blocked", "" },
        { "DEVLOG_FULL_USEC", "loginguard_devlog_full_seconds", "gauge",
          "How long the /dev/log queue has been full.", 1e-6, NULL, NULL },
        { "FORKS_PER_S", "loginguard_forks_per_second", "gauge",
          "Host fork rate (/proc/stat processes).", 1, "forks_per_s", "" },
        { "MOUNTS", "loginguard_mounts", "gauge", "Entries in the mount table.", 1, NULL, NULL },
        { "MOUNT_CHANGES_PER_S", "loginguard_mount_changes_per_second", "gauge",
          "Mount table changes per second.", 1, NULL, NULL },
        { "FALLBACKS", "loginguard_fallbacks_total", "counter",
          "Logins that skipped or cut the wrapped module since guardd started.", 1, "fallbacks",
          "c" },
        { "GUARDD_ROUND_USEC", "guardd_round_seconds", "gauge",
          "Time guardd spent on its last round.", 1e-6, NULL, NULL },
        { "GUARDD_LOG_DROPPED", "guardd_log_dropped_total", "counter",
          "Log lines guardd dropped rather than block.", 1, NULL, NULL },
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

static const EnumMetric enum_metrics[] = {
        { "OVERALL", "loginguard_overall", "Overall verdict (1 for the current state).",
          overall_values },
        { "BUS", "loginguard_bus_state", "System bus state.", bus_values },
        { "LOGIN1", "loginguard_login1_state", "systemd-logind state on the bus.", svc_values },
        { "LOGIN1_ACTION", "loginguard_login1_action", "What pam_loginguard does with pam_systemd.",
          action_values },
        { "CONSOLEKIT", "loginguard_consolekit_state", "ConsoleKit state on the bus.", svc_values },
        { "CONSOLEKIT_ACTION", "loginguard_consolekit_action",
          "What pam_loginguard does with pam_ck_connector.", action_values },
        { "DEVLOG", "loginguard_devlog_state", "/dev/log reader state.", devlog_values },
};

void format_count(uint64_t n, char *buf, size_t size) {
        char tmp[32];
        size_t len, out = 0;

        (void) snprintf(tmp, sizeof(tmp), "%" PRIu64, n);
        len = strlen(tmp);
        for (size_t i = 0; i < len && out + 2 < size; i++) {
                if (i > 0 && (len - i) % 3 == 0)
                        buf[out++] = ',';
                buf[out++] = tmp[i];
        }
        buf[out] = '\0';
}

void format_bytes(uint64_t n, char *buf, size_t size) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        double v = (double) n;
        size_t u = 0;

        while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
                v /= 1024;
                u++;
        }
        if (u == 0)
                (void) snprintf(buf, size, "%" PRIu64 " B", n);
        else
                (void) snprintf(buf, size, "%.1f %s", v, units[u]);
}

void format_duration(uint64_t usec, char *buf, size_t size) {
        if (usec < USEC_PER_MSEC)
                (void) snprintf(buf, size, "%" PRIu64 " us", usec);
        else if (usec < 10 * USEC_PER_MSEC)
                (void) snprintf(buf, size, "%.1f ms", (double) usec / 1000.0);
        else if (usec < USEC_PER_SEC)
                (void) snprintf(buf, size, "%" PRIu64 " ms", usec / USEC_PER_MSEC);
        else if (usec < 120 * USEC_PER_SEC)
                (void) snprintf(buf, size, "%" PRIu64 " s", usec / USEC_PER_SEC);
        else
                (void) snprintf(buf, size, "%" PRIu64 " min", usec / (60 * USEC_PER_SEC));
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
        char age[32];

        if (!c->status) {
                (void) snprintf(buf, size, "status %s %s: guardd is not running or cannot write it",
                                c->path, c->problem ? c->problem : "is unusable");
                return;
        }
        format_duration(c->age_usec, age, sizeof(age));
        (void) snprintf(buf, size, "status %s is %s old: guardd is not running (last pid %s)",
                        c->path, age, pid ? pid : "?");
}

static void summary_line(const OutputContext *c, char *buf, size_t size) {
        if (output_state(c) == STATE_UNKNOWN)
                unknown_reason(c, buf, size);
        else
                (void) snprintf(buf, size, "%s",
                                get(c, "SUMMARY") ? get(c, "SUMMARY") : "no summary");
}

/* Prints the metric's value as Prometheus and Nagios want it: integers
 * exactly (byte counts exceed a double's %g precision), scaled values as
 * decimals. */
static bool metric_value(const OutputContext *c, const Metric *m, char *buf, size_t size) {
        const char *v = get(c, m->key);
        uint64_t u;

        if (!v || parse_u64(v, &u) < 0)
                return false;
        if (m->scale == 1)
                (void) snprintf(buf, size, "%" PRIu64, u);
        else
                (void) snprintf(buf, size, "%.9g", (double) u * m->scale);
        return true;
}

static void render_nagios(const OutputContext *c, FILE *f) {
        char line[512], v[32];

        summary_line(c, line, sizeof(line));
        fprintf(f, "LOGINGUARD %s - %s |", state_names[output_state(c)], line);
        for (size_t i = 0; i < ELEMENTSOF(metrics); i++)
                if (metrics[i].perf && metric_value(c, &metrics[i], v, sizeof(v)))
                        fprintf(f, " %s=%s%s", metrics[i].perf, v, metrics[i].unit);
        fputc('\n', f);
}

static void render_prometheus(const OutputContext *c, FILE *f) {
        const char *w = get(c, "WRITTEN_REALTIME_USEC");
        uint64_t t = 0;
        char v[32];

        fprintf(f, "# HELP guardd_up Whether guardd's status is present and fresh.\n# TYPE "
                   "guardd_up gauge\n");
        fprintf(f, "guardd_up %d\n", c->status && !c->stale ? 1 : 0);
        if (w && parse_u64(w, &t) == 0)
                fprintf(f,
                        "# HELP guardd_last_update_timestamp_seconds When guardd last wrote its "
                        "status.\n"
                        "# TYPE guardd_last_update_timestamp_seconds gauge\n"
                        "guardd_last_update_timestamp_seconds %.3f\n",
                        (double) t / 1e6);
        if (!c->status)
                return;
        for (size_t i = 0; i < ELEMENTSOF(enum_metrics); i++) {
                const EnumMetric *e = &enum_metrics[i];
                const char *cur = get(c, e->key);

                fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", e->name, e->help, e->name);
                for (const char *const *val = e->values; *val; val++)
                        fprintf(f, "%s{state=\"%s\"} %d\n", e->name, *val,
                                cur && strcmp(cur, *val) == 0);
        }
        for (size_t i = 0; i < ELEMENTSOF(metrics); i++)
                if (metric_value(c, &metrics[i], v, sizeof(v)))
                        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", metrics[i].name,
                                metrics[i].help, metrics[i].name, metrics[i].type, metrics[i].name,
                                v);
}

static void json_string(FILE *f, const char *s) {
        fputc('"', f);
        for (; *s; s++) {
                unsigned char ch = (unsigned char) *s;
                if (ch == '"' || ch == '\\')
                        fprintf(f, "\\%c", ch);
                else if (ch < 0x20)
                        fprintf(f, "\\u%04x", ch);
                else
                        fputc(ch, f);
        }
        fputc('"', f);
}

static void render_json(const OutputContext *c, FILE *f) {
        char line[512];

        summary_line(c, line, sizeof(line));
        fprintf(f, "{\"state\":\"%s\",\"exit_code\":%d,\"summary\":", state_names[output_state(c)],
                output_state(c));
        json_string(f, line);
        fprintf(f, ",\"path\":");
        json_string(f, c->path);
        fprintf(f, ",\"age_seconds\":%.3f,\"stale\":%s,\"status\":{", (double) c->age_usec / 1e6,
                c->stale ? "true" : "false");
        for (size_t i = 0; c->status && i < status_count(c->status); i++) {
                const char *v = status_value_at(c->status, i);
                uint64_t u;

                fprintf(f, "%s", i ? "," : "");
                json_string(f, status_key_at(c->status, i));
                fputc(':', f);
                if (!*v)
                        fprintf(f, "null");
                else if (parse_u64(v, &u) == 0)
                        fprintf(f, "%" PRIu64, u);
                else
                        json_string(f, v);
        }
        fprintf(f, "}}\n");
}

typedef struct Hint {
        const char *key;
        const char *value;
        const char *text;
} Hint;

/* What to do next, from docs/runbook.md, shortest safe steps first. */
static const Hint hints[] = {
        { "BUS", "down",
          "The system bus is down: `systemctl status dbus`; logins skip logind meanwhile. "
          "Restart dbus only from a console session you already have." },
        { "BUS", "stuck",
          "dbus-daemon does not answer: check its CPU (`top -p $BUS_PID`) and "
          "`busctl --system list` from a second shell; `journalctl -u dbus`." },
        { "LOGIN1", "stuck",
          "logind does not answer: `journalctl -u systemd-logind -n 50`, "
          "`ls /run/systemd/sessions | wc -l`; then `systemctl restart systemd-logind` "
          "(existing sessions survive)." },
        { "LOGIN1", "slow",
          "logind is slow: watch LOGIN1_CPU_PERCENT and SESSIONS; a growing "
          "sessions directory means a leak (incident 1)." },
        { "LOGIN1", "absent", "No logind on the bus: `systemctl status systemd-logind`." },
        { "CONSOLEKIT", "stuck",
          "console-kit-daemon does not answer: restart it; logins skip it meanwhile." },
        { "DEVLOG", "stuck",
          "The /dev/log reader stopped reading: find it with `ss -xlp | grep /dev/log`, "
          "check its state (T = stopped: `kill -CONT`), restart its unit." },
        { "DEVLOG", "full", "The /dev/log queue is full: the syslog daemon is not keeping up." },
};

static void render_human(const OutputContext *c, FILE *f) {
        static const char *const rows[][2] = {
                { "BUS", "bus" },
                { "LOGIN1", "login1" },
                { "LOGIN1_ACTION", "  action" },
                { "LOGIN1_PID", "  pid" },
                { "LOGIN1_PING_USEC", "  ping (us)" },
                { "LOGIN1_CPU_PERCENT", "  cpu %" },
                { "LOGIN1_RSS_BYTES", "  rss (bytes)" },
                { "LOGIN1_RESTARTS", "  restarts" },
                { "LOGIN1_QUEUED_BYTES", "  bus queue (bytes)" },
                { "CONSOLEKIT", "consolekit" },
                { "DEVLOG", "/dev/log" },
                { "DEVLOG_READER_PID", "  reader pid" },
                { "DEVLOG_BLOCKED_WRITERS", "  blocked writers" },
                { "SESSIONS", "sessions on disk" },
                { "SESSION_SCOPES", "session scopes" },
                { "FORKS_PER_S", "forks/s" },
                { "PID1_CPU_PERCENT", "PID 1 cpu %" },
                { "MOUNT_CHANGES_PER_S", "mount changes/s" },
                { "FALLBACKS", "logins fallen back" },
        };
        char line[512], age[32];
        bool hinted = false;

        summary_line(c, line, sizeof(line));
        fprintf(f, "loginguard: %s - %s\n", state_names[output_state(c)], line);
        if (!c->status)
                return;
        format_duration(c->age_usec, age, sizeof(age));
        fprintf(f, "  (status %s, written %s ago by guardd pid %s)\n\n", c->path, age,
                get(c, "GUARDD_PID") ? get(c, "GUARDD_PID") : "?");
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                fprintf(f, "  %-20s %s\n", rows[i][1],
                        get(c, rows[i][0]) ? get(c, rows[i][0]) : "-");
        for (size_t i = 0; i < ELEMENTSOF(hints); i++) {
                const char *v = get(c, hints[i].key);
                if (!v || strcmp(v, hints[i].value) != 0)
                        continue;
                fprintf(f, "%s  - %s\n", hinted ? "" : "\nWhat to do next (docs/runbook.md):\n",
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
        size_t len = 0;
        FILE *f;

        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        render_prometheus(&c, f);
        if (ferror(f)) {
                (void) fclose(f);
                return -EIO;
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        return write_file_atomic(AT_FDCWD, path, text, len, 0644, false);
}
