/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The verdict as a pure function: an observation in, a status out. Every
 * verdict of docs/runbook.md, the culprit before its symptoms (PID 1
 * behind a blocked logind), PID 1's health, the skip actions and their
 * hysteresis, and hostile process names that must never break a round.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "verdict.h"

#define S UINT64_C(1000000)
#define MS UINT64_C(1000)

static Config cfg;

static Observation healthy(void) {
        Observation o = {
                .now = 1000 * S,
                .realtime_usec = 1700000000 * S,
                .bus = BUS_OK,
                .services = {
                        [OBS_LOGIN1] = { .state = SVC_OK, .ping_valid = true, .ping_usec = 800,
                                         .queued_known = true },
                        [OBS_CONSOLEKIT] = { .state = SVC_ABSENT },
                },
                .procs = {
                        [PROC_LOGIN1] = { .pid = 812, .cpu_percent = 1, .rss_bytes = 8 << 20, .state = 'S',
                                          .comm = "systemd-logind" },
                        [PROC_BUS] = { .pid = 600, .cpu_percent = 1, .state = 'S', .comm = "dbus-daemon" },
                        [PROC_PID1] = { .pid = 1, .cpu_percent = 2, .state = 'S', .comm = "systemd" },
                },
                .pid1 = { .bus = SVC_OK, .bus_ping_usec = 300, .userdb = PING_OK, .userdb_usec = 200 },
                .host = { .mounts = 40, .sessions_valid = true, .sessions = 3, .scopes_valid = true,
                          .scopes = 3 },
                .devlog = { .state = DEVLOG_OK, .path = "/dev/log", .reader_pid = 300,
                            .reader_comm = "systemd-journal", .reader_state = 'S' },
                .guardd_pid = 4242,
                .interval_usec = 1 * S,
        };
        (void) snprintf(o.bus_address, sizeof(o.bus_address), "unix:path=/run/dbus/system_bus_socket");
        return o;
}

/* One round: compose, check that it is a valid status, return it. */
static Status *judge(const Observation *o, VerdictState *vs) {
        Status *s = NULL;
        char *text = NULL;
        size_t len;
        Status *back = NULL;

        assert_int_equal(verdict_compose(o, &cfg, vs, &s), 0);
        /* What guardd writes must read back. */
        assert_int_equal(status_format(s, &text, &len), 0);
        assert_int_equal(status_parse(text, len, &back, NULL), 0);
        status_free(back);
        free(text);
        return s;
}

static void expect(const Status *s, const char *key, const char *value) {
        const char *v = status_get(s, key);

        if (!v || strcmp(v, value) != 0)
                fail_msg("%s: got '%s', expected '%s'", key, v ? v : "(absent)", value);
}

static void expect_summary(const Status *s, const char *start) {
        const char *v = status_get(s, "SUMMARY");

        if (!v || strncmp(v, start, strlen(start)) != 0)
                fail_msg("SUMMARY '%s' does not start with '%s'", v ? v : "(absent)", start);
}

static void test_healthy(void **state) {
        VerdictState vs = {};
        Observation o = healthy();
        Status *s = judge(&o, &vs);

        expect(s, "OVERALL", "ok");
        expect(s, "CULPRIT", "none");
        expect(s, "LOGIN1", "ok");
        expect(s, "LOGIN1_ACTION", "allow");
        expect(s, "PID1", "ok");
        expect(s, "BUS", "ok");
        expect(s, "DEVLOG", "ok");
        expect_summary(s, "ok: logind answers in 800 us (pid 812), 3 sessions, /dev/log ok");
        /* Every key of docs/interface.md section 4. */
        static const char *const keys[] = {
                "WRITTEN_MONOTONIC_USEC", "WRITTEN_REALTIME_USEC", "GUARDD_PID", "OVERALL", "SUMMARY",
                "BUS", "LOGIN1", "LOGIN1_ACTION", "LOGIN1_PING_USEC", "LOGIN1_PID",
                "LOGIN1_QUEUED_BYTES", "CONSOLEKIT", "CONSOLEKIT_ACTION", "DEVLOG",
                "DEVLOG_READER_PID", "DEVLOG_READER_COMM", "DEVLOG_READER_STATE",
                "DEVLOG_BLOCKED_WRITERS", "SESSIONS", "SESSION_SCOPES", "FALLBACKS",
        };
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (!status_get(s, keys[i]))
                        fail_msg("key %s missing", keys[i]);
        status_free(s);
}

static void test_bus_down_and_stuck(void **state) {
        VerdictState vs = {};
        Observation o = healthy();
        Status *s;

        o.bus = BUS_DOWN;
        o.bus_bad_usec = 7 * S;
        o.services[OBS_LOGIN1].state = SVC_UNKNOWN;
        s = judge(&o, &vs);
        expect(s, "OVERALL", "critical");
        expect(s, "CULPRIT", "bus");
        expect(s, "LOGIN1_ACTION", "skip");
        expect_summary(s, "system bus down: cannot connect to unix:path=/run/dbus/system_bus_socket for 7 s");
        status_free(s);
        o.bus = BUS_STUCK;
        o.procs[PROC_BUS].cpu_percent = 95;
        s = judge(&o, &vs);
        expect(s, "BUS", "stuck");
        expect_summary(s, "dbus-daemon not answering for 7 s (pid 600, 95% CPU)");
        status_free(s);
}

static void test_logind_stuck(void **state) {
        VerdictState vs = {};
        Observation o = healthy();
        Status *s;

        /* Incident 1: logind spinning, a leak on disk. */
        o.services[OBS_LOGIN1].state = SVC_STUCK;
        o.services[OBS_LOGIN1].unanswered_usec = 14 * S;
        o.procs[PROC_LOGIN1].cpu_percent = 99;
        o.host.sessions = 19763;
        s = judge(&o, &vs);
        expect(s, "OVERALL", "critical");
        expect(s, "CULPRIT", "login1");
        expect(s, "LOGIN1", "stuck");
        expect(s, "LOGIN1_ACTION", "skip");
        expect(s, "LOGIN1_PING_USEC", "");
        expect(s, "LOGIN1_UNANSWERED_USEC", "14000000");
        expect_summary(s, "logind not answering for 14 s (pid 812, 99% CPU, 19,763 sessions on disk)");
        status_free(s);
}

/* Incident 3 on systemd 252: the bulk unmount keeps PID 1 busy, logind
 * waits on it at 0% CPU. The headline names PID 1. */
static void test_pid1_busy_behind_logind(void **state) {
        VerdictState vs = {};
        Observation o = healthy();
        Status *s;

        o.services[OBS_LOGIN1].state = SVC_STUCK;
        o.services[OBS_LOGIN1].unanswered_usec = 21 * S;
        o.procs[PROC_LOGIN1].cpu_percent = 0;
        o.procs[PROC_PID1].cpu_percent = 100;
        o.host.mounts_delta_window = o.host.busy_mounts_delta = -8000;
        o.host.mount_changes_window = o.host.busy_mount_changes = 8000;
        s = judge(&o, &vs);
        expect(s, "CULPRIT", "pid1");
        expect(s, "PID1", "busy");
        expect(s, "LOGIN1_ACTION", "skip");
        expect_summary(s, "PID 1 at 100% CPU working through 8,000 unmounts; logind blocked behind it "
                          "(not answering for 21 s, 0% CPU)");
        status_free(s);
        /* Logind spinning itself is logind's doing, PID 1 busy or not. */
        o.procs[PROC_LOGIN1].cpu_percent = 99;
        s = judge(&o, &vs);
        expect(s, "CULPRIT", "login1");
        status_free(s);
}

static void test_pid1_stopped_and_stuck(void **state) {
        VerdictState vs = {};
        Observation o = healthy();
        Status *s;

        o.procs[PROC_PID1].state = 'T';
        s = judge(&o, &vs);
        expect(s, "OVERALL", "critical");
        expect(s, "PID1", "stopped");
        expect(s, "CULPRIT", "pid1");
        expect(s, "LOGIN1_ACTION", "skip"); /* sessions cannot be completed */
        expect_summary(s, "PID 1 is stopped (state T): no session scope can be started");
        status_free(s);

        o = healthy();
        o.pid1.userdb = PING_STUCK;
        o.pid1.userdb_unanswered_usec = 3 * S;
        o.procs[PROC_PID1].cpu_percent = 97;
        o.host.mount_changes_window = o.host.busy_mount_changes = 600;
        s = judge(&o, &vs);
        expect(s, "PID1", "stuck");
        expect(s, "LOGIN1_ACTION", "skip");
        expect_summary(s, "PID 1 not answering for 3 s (97% CPU, mount table churn: 600 changes in 30 s, 40 mounts)");
        status_free(s);
}

static void test_queue(void **state) {
        VerdictState vs = {};
        Observation o = healthy();
        Status *s;

        /* 0 -> 12 MB in 30 s: a warning before any threshold. */
        o.services[OBS_LOGIN1].queued_bytes = 12 << 20;
        o.services[OBS_LOGIN1].queue_growth = 12 << 20;
        o.services[OBS_LOGIN1].queue_trend_per_s = 400000;
        s = judge(&o, &vs);
        expect(s, "OVERALL", "warning");
        expect(s, "CULPRIT", "bus-queue");
        expect(s, "LOGIN1_ACTION", "allow");
        expect(s, "LOGIN1_QUEUE_GROWTH_30S_BYTES", "12582912");
        expect_summary(s, "bus queue for logind growing: +12.0 MiB in 30 s, now 12.0 MiB (skip at 16.0 MiB)");
        status_free(s);
        o.services[OBS_LOGIN1].queued_bytes = 20 << 20;
        s = judge(&o, &vs);
        expect(s, "OVERALL", "critical");
        expect(s, "LOGIN1_ACTION", "skip");
        expect_summary(s, "bus holds 20.0 MiB for logind (skip threshold 16.0 MiB, +400000 B/s, pid 812)");
        status_free(s);
}

static void test_warnings(void **state) {
        VerdictState vs = {};
        Observation o = healthy();
        Status *s;

        o.services[OBS_LOGIN1].state = SVC_SLOW;
        o.services[OBS_LOGIN1].ping_usec = 400 * MS;
        s = judge(&o, &vs);
        expect(s, "OVERALL", "warning");
        expect_summary(s, "logind slow: 400 ms round trip (pid 812, 1% CPU)");
        status_free(s);

        o = healthy();
        o.services[OBS_LOGIN1].state = SVC_ABSENT;
        s = judge(&o, &vs);
        expect(s, "LOGIN1_ACTION", "skip");
        expect_summary(s, "no logind on the bus");
        status_free(s);

        vs = (VerdictState){};
        o = healthy();
        o.procs[PROC_LOGIN1].restarts = 3;
        o.procs[PROC_LOGIN1].since_restart_usec = 20 * S;
        s = judge(&o, &vs);
        expect_summary(s, "logind restarted 3 times (now pid 812)");
        status_free(s);

        o = healthy();
        o.host.sessions = 20000;
        s = judge(&o, &vs);
        expect(s, "CULPRIT", "leak");
        expect_summary(s, "20,000 session entries in /run/systemd/sessions (warn at 5,000): sessions leak");
        status_free(s);
}

static void test_consolekit(void **state) {
        VerdictState vs = {};
        Observation o = healthy();
        Status *s;

        o.services[OBS_CONSOLEKIT].state = SVC_STUCK;
        o.services[OBS_CONSOLEKIT].unanswered_usec = 5 * S;
        o.procs[PROC_CONSOLEKIT] = (ProcObs){ .pid = 950, .cpu_percent = 100, .state = 'R',
                                              .comm = "console-kit-dae" };
        s = judge(&o, &vs);
        expect(s, "CULPRIT", "consolekit");
        expect(s, "CONSOLEKIT_ACTION", "skip");
        expect(s, "LOGIN1_ACTION", "allow");
        expect_summary(s, "console-kit-daemon not answering for 5 s (pid 950, 100% CPU)");
        status_free(s);
}

static void test_devlog(void **state) {
        VerdictState vs = {};
        Observation o = healthy();
        Status *s;

        o.devlog.state = DEVLOG_STUCK;
        o.devlog.full_usec = 4 * S;
        o.devlog.reader_state = 'T';
        o.devlog.census = (Census){ .valid = true, .blocked = 645, .n_writers = 2,
                                    .writers = { { .name = "sshd", .count = 400 },
                                                 { .name = "cron", .count = 245 } } };
        s = judge(&o, &vs);
        expect(s, "OVERALL", "critical");
        expect(s, "CULPRIT", "devlog");
        expect(s, "DEVLOG_BLOCKED_WRITERS", "645");
        expect(s, "DEVLOG_TOP_WRITERS", "sshd:400,cron:245");
        expect_summary(s, "/dev/log reader systemd-journal (pid 300, state T) stuck: queue full for 4 s, "
                          "645 tasks blocked writing (sshd 400, cron 245)");
        status_free(s);
        o.devlog.state = DEVLOG_FULL;
        s = judge(&o, &vs);
        expect(s, "OVERALL", "warning");
        status_free(s);
}

/* Incident 4: a respawn loop is named when PID 1 keeps starting unit jobs,
 * at any rate the machine allows; mount churn alone is mount churn; forks
 * without jobs are not a loop of PID 1's. */
static void test_host(void **state) {
        VerdictState vs = {};
        Observation o = healthy();
        Status *s;

        o.procs[PROC_PID1].cpu_percent = 78;
        o.host.forks_per_s = 2100;
        o.pid1.jobs_per_s = 345;
        o.pid1.jobs_window = 10000;
        s = judge(&o, &vs);
        expect(s, "OVERALL", "warning");
        expect(s, "CULPRIT", "host");
        expect(s, "LOGIN1_ACTION", "allow");
        expect_summary(s, "PID 1 at 78% CPU restarting units: 345 jobs/s, 2,100 forks/s (a respawn loop? not the login path)");
        status_free(s);

        /* The same loop on a loaded 2-core machine (seen in CI: 50 jobs/s,
         * 76 forks/s): still named a respawn loop, with what was seen. */
        o.procs[PROC_PID1].cpu_percent = 70;
        o.host.forks_per_s = 76;
        o.pid1.jobs_per_s = 50;
        o.pid1.jobs_window = 1500;
        s = judge(&o, &vs);
        expect(s, "CULPRIT", "host");
        expect_summary(s, "PID 1 at 70% CPU restarting units: 50 jobs/s, 76 forks/s (a respawn "
                          "loop? not the login path)");
        status_free(s);

        /* Many forks but hardly any unit jobs: not PID 1's loop. */
        o.host.forks_per_s = 3000;
        o.pid1.jobs_per_s = 1;
        o.pid1.jobs_window = 30;
        s = judge(&o, &vs);
        expect_summary(s, "PID 1 at 70% CPU, 3,000 forks/s, 1 jobs/s");
        status_free(s);

        o = healthy();
        o.procs[PROC_PID1].cpu_percent = 60;
        o.host.mount_changes_window = o.host.busy_mount_changes = 5000;
        o.host.mounts = 2150;
        s = judge(&o, &vs);
        expect_summary(s, "PID 1 at 60% CPU, mount table churn: 5,000 changes in 30 s, 2,150 mounts");
        status_free(s);

        /* A storm PID 1 has worked through (it was idle since) does not
         * explain its CPU now: the 30 s keys still show it, the headline not. */
        o.host.mounts_delta_window = -8000;
        o.host.busy_mounts_delta = 0;
        o.host.busy_mount_changes = 0;
        o.procs[PROC_PID1].cpu_percent = 60;
        s = judge(&o, &vs);
        expect(s, "MOUNTS_DELTA_30S", "-8000");
        expect(s, "MOUNT_CHANGES_30S", "5000");
        expect_summary(s, "PID 1 at 60% CPU, 0 forks/s, 0 jobs/s");
        status_free(s);
}

/* Issue 23: one user's own unit start job pending past user_job_warn_ms
 * is named with the user, uid, unit and age; logins stay allowed. */
static void test_user_jobs(void **state) {
        VerdictState vs = {};
        Observation o = healthy();
        Status *s;

        o.user_jobs_known = true;
        o.n_user_jobs = 2;
        o.user_jobs[0] = (UserJobObs){ .uid = 1000,
                                       .uid_known = true,
                                       .user = "alice",
                                       .unit = "user@1000.service",
                                       .age_usec = 47 * S };
        o.user_jobs[1] = (UserJobObs){
                .uid = 1001, .uid_known = true, .unit = "session-c7.scope", .age_usec = 2 * S
        };
        s = judge(&o, &vs);
        expect(s, "OVERALL", "warning");
        expect(s, "CULPRIT", "user");
        expect(s, "LOGIN1_ACTION", "allow");
        expect(s, "USER_JOBS_PENDING", "1");
        expect(s, "USER_JOBS", "alice:1000:user@1000.service:47");
        expect_summary(s, "logins of alice (uid 1000) wait for user@1000.service: start job "
                          "pending for 47 s");
        status_free(s);

        /* No name in /etc/passwd: the uid alone; both late: both listed. */
        o.user_jobs[0].user[0] = '\0';
        o.user_jobs[1].age_usec = 12 * S;
        s = judge(&o, &vs);
        expect(s, "USER_JOBS_PENDING", "2");
        expect(s, "USER_JOBS", ":1000:user@1000.service:47,:1001:session-c7.scope:12");
        expect_summary(s,
                       "logins of uid 1000 wait for user@1000.service: start job pending for 47 s");
        status_free(s);

        /* PID 1 did not list its jobs in time: unknown, not zero. */
        o = healthy();
        o.user_jobs_known = false;
        s = judge(&o, &vs);
        expect(s, "USER_JOBS_PENDING", "");
        expect(s, "OVERALL", "ok");
        status_free(s);
}

/* Skip at once; allow at the first healthy round; after a flap (bad again
 * within a minute of allow) only after healthy_rounds. */
static void test_hysteresis(void **state) {
        VerdictState vs = {};
        Observation bad = healthy(), good = healthy();
        Status *s;

        bad.services[OBS_LOGIN1].state = SVC_STUCK;
        s = judge(&bad, &vs);
        expect(s, "LOGIN1_ACTION", "skip");
        status_free(s);
        good.now = bad.now + 1 * S;
        s = judge(&good, &vs);
        expect(s, "LOGIN1_ACTION", "allow");
        status_free(s);
        /* A slow answer or a growing queue is not healthy enough to allow. */
        bad.now = good.now + 1 * S;
        s = judge(&bad, &vs);
        expect(s, "LOGIN1_ACTION", "skip");
        status_free(s);
        good.now = bad.now + 1 * S;
        good.services[OBS_LOGIN1].queue_trend_per_s = 1000;
        s = judge(&good, &vs);
        expect(s, "LOGIN1_ACTION", "skip");
        expect_summary(s, "logind recovering: logins skip it until it has answered 3 rounds");
        status_free(s);
        /* Flapping: three healthy rounds in a row are needed now. */
        good.services[OBS_LOGIN1].queue_trend_per_s = 0;
        for (int i = 1; i <= 3; i++) {
                good.now += 1 * S;
                s = judge(&good, &vs);
                expect(s, "LOGIN1_ACTION", i < 3 ? "skip" : "allow");
                status_free(s);
        }
        /* Calm for over a minute: back to one round. */
        bad.now = good.now + 2 * VERDICT_FLAP_WINDOW_USEC;
        good.now = bad.now;
        s = judge(&good, &vs); /* lets the flap window pass */
        status_free(s);
        s = judge(&bad, &vs);
        status_free(s);
        good.now = bad.now + 1 * S;
        s = judge(&good, &vs);
        expect(s, "LOGIN1_ACTION", "allow");
        status_free(s);
}

static bool clean(const char *v) {
        for (const unsigned char *p = (const unsigned char *) v; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

/* Anybody can name a process; nothing they choose may break a round or a
 * file format. */
static void test_hostile_names(void **state) {
        VerdictState vs = {};
        Observation o = healthy();
        Status *s;

        (void) snprintf(o.procs[PROC_LOGIN1].comm, sizeof(o.procs[0].comm), "evil\nOVERALL=ok");
        o.procs[PROC_LOGIN1].cpu_percent = 99;
        (void) snprintf(o.devlog.reader_comm, sizeof(o.devlog.reader_comm), "a|b\xff\xfe\x01");
        o.devlog.state = DEVLOG_STUCK;
        o.devlog.census = (Census){ .valid = true, .blocked = 2, .n_writers = 1, .n_others = 1,
                                    .writers = { { .name = "x,y:z\n", .count = 2 } },
                                    .others = { { .name = "/tmp/\x1b[31mred", .count = 9 } } };
        s = judge(&o, &vs);
        for (size_t i = 0; i < status_count(s); i++)
                if (!clean(status_value_at(s, i)))
                        fail_msg("%s holds a control byte", status_key_at(s, i));
        expect(s, "DEVLOG_READER_COMM", "a|b???");
        expect(s, "DEVLOG_TOP_WRITERS", "x_y_z?:2");
        expect(s, "OVERALL", "critical");
        status_free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_healthy),
                cmocka_unit_test(test_bus_down_and_stuck),
                cmocka_unit_test(test_logind_stuck),
                cmocka_unit_test(test_pid1_busy_behind_logind),
                cmocka_unit_test(test_pid1_stopped_and_stuck),
                cmocka_unit_test(test_queue),
                cmocka_unit_test(test_warnings),
                cmocka_unit_test(test_consolekit),
                cmocka_unit_test(test_devlog),
                cmocka_unit_test(test_host),
                cmocka_unit_test(test_user_jobs),
                cmocka_unit_test(test_hysteresis),
                cmocka_unit_test(test_hostile_names),
        };

        config_init(&cfg);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
