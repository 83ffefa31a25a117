/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The renderers as pure functions: fixed status files in, text out,
 * compared with golden files (tests/fixtures/golden; UPDATE_GOLDEN=1
 * rewrites them). Then what monitors rely on: one JSON type per key and
 * valid UTF-8 whatever the status holds; a Nagios text without '|' and
 * perfdata with thresholds; Prometheus names with one prefix; UNKNOWN that
 * tells a dead guardd from a live one with a stale status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output.h"
#include "io-util.h"

#define FIX "tests/fixtures"

static char *slurp(const char *path, size_t *ret_len) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t size = 0;

        if (!f)
                return NULL;
        buf = calloc(1, 1 << 16);
        assert_non_null(buf);
        size = fread(buf, 1, (1 << 16) - 1, f);
        fclose(f);
        if (ret_len)
                *ret_len = size;
        return buf;
}

/* A fixture with @NOW@ made "written just now". */
static Status *fixture(const char *name) {
        char path[256], now[32], *text, *at, out[1 << 16];
        Status *s = NULL;
        size_t len;

        (void) snprintf(path, sizeof(path), FIX "/status/%s.status", name);
        text = slurp(path, &len);
        assert_non_null(text);
        (void) snprintf(now, sizeof(now), "%llu", (unsigned long long) now_usec(CLOCK_MONOTONIC));
        at = strstr(text, "@NOW@");
        assert_non_null(at);
        (void) snprintf(out, sizeof(out), "%.*s%s%s", (int) (at - text), text, now, at + 5);
        assert_int_equal(status_parse(out, strlen(out), &s, NULL), 0);
        free(text);
        return s;
}

static char *render(const OutputContext *c, OutputMode mode, int *ret_state) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        assert_non_null(f);
        *ret_state = output_render(c, mode, f);
        fclose(f);
        return text;
}

/* Ages vary from run to run. */
static void normalise(char *text) {
        static const char *const patterns[] = { "written [0-9.]+ (us|ms|s) ago",
                                                "\"age_seconds\":[0-9.]+",
                                                "\"WRITTEN_MONOTONIC_USEC\":[0-9]+" };
        static const char *const repl[] = { "written N ago", "\"age_seconds\":N",
                                            "\"WRITTEN_MONOTONIC_USEC\":N" };

        for (size_t i = 0; i < 3; i++) {
                regex_t re;
                regmatch_t m;

                assert_int_equal(regcomp(&re, patterns[i], REG_EXTENDED), 0);
                while (regexec(&re, text, 1, &m, 0) == 0) {
                        size_t rl = strlen(repl[i]);
                        assert_true(rl <= (size_t) (m.rm_eo - m.rm_so) || strstr(text, repl[i]));
                        memmove(text + m.rm_so + rl, text + m.rm_eo, strlen(text + m.rm_eo) + 1);
                        memcpy(text + m.rm_so, repl[i], rl);
                }
                regfree(&re);
        }
}

static void compare_golden(const char *name, const char *mode, const char *text) {
        char path[256], *golden;

        (void) snprintf(path, sizeof(path), FIX "/golden/%s.%s", name, mode);
        if (getenv("UPDATE_GOLDEN")) {
                FILE *f = fopen(path, "we");
                assert_non_null(f);
                fputs(text, f);
                fclose(f);
        }
        golden = slurp(path, NULL);
        if (!golden)
                fail_msg("no golden file %s (UPDATE_GOLDEN=1 writes it)", path);
        if (strcmp(golden, text) != 0)
                fail_msg("%s differs:\n--- golden\n%s--- now\n%s", path, golden, text);
        free(golden);
}

static void test_goldens(void **state) {
        static const char *const names[] = { "ok", "warning", "critical" };
        static const char *const modes[] = { "human", "json", "nagios", "prometheus" };

        for (size_t i = 0; i < 3; i++) {
                Status *s = fixture(names[i]);
                OutputContext c = { .status = s, .path = "/run/loginguard/status", .age_usec = 1000 };

                for (size_t m = 0; m < 4; m++) {
                        int st;
                        char *text = render(&c, (OutputMode) m, &st);

                        assert_int_equal(st, (int) i); /* OK 0, WARNING 1, CRITICAL 2 */
                        normalise(text);
                        compare_golden(names[i], modes[m], text);
                        free(text);
                }
                status_free(s);
        }
}

/* Valid UTF-8 and no control byte but the final newline: sanitizing it
 * changes nothing. */
static bool valid_utf8(const char *s) {
        char clean[1 << 16], copy[1 << 16];

        (void) snprintf(copy, sizeof(copy), "%s", s);
        copy[strcspn(copy, "\n")] = '\0';
        status_sanitize(copy, clean, sizeof(clean));
        return strcmp(clean, copy) == 0 && strlen(copy) + 1 == strlen(s);
}

static void test_json_types_and_utf8(void **state) {
        Status *s = fixture("hostile");
        OutputContext c = { .status = s, .path = "/run/loginguard/status" };
        int st;
        char *text = render(&c, OUTPUT_JSON, &st);

        assert_true(valid_utf8(text));
        /* One type per key, whatever the value. */
        assert_non_null(strstr(text, "\"LOGIN1_QUEUE_TREND_BYTES_PER_S\":-5,"));
        assert_non_null(strstr(text, "\"DEVLOG_READER_COMM\":\"1234\""));
        assert_non_null(strstr(text, "\"DEVLOG_READER_PID\":300,"));
        assert_non_null(strstr(text, "\"LOGIN1_PING_USEC\":null"));
        assert_non_null(strstr(text, "\"LOGIN1_QUEUED_BYTES\":null"));
        assert_non_null(strstr(text, "\"DEVLOG_TOP_WRITERS\":\"bad??bytes:3,esc?[31m:1\""));
        free(text);
        status_free(s);
        s = fixture("critical");
        c.status = s;
        text = render(&c, OUTPUT_JSON, &st);
        assert_non_null(strstr(text, "\"LOGIN1_QUEUE_TREND_BYTES_PER_S\":5,"));
        assert_non_null(strstr(text, "\"SESSIONS\":19763,"));
        assert_non_null(strstr(text, "\"LOGIN1_PING_USEC\":null"));
        free(text);
        status_free(s);
}

static void test_nagios(void **state) {
        Status *s = fixture("hostile");
        OutputContext c = { .status = s, .path = "/run/loginguard/status" };
        char *text, *bar;
        int st;

        text = render(&c, OUTPUT_NAGIOS, &st);
        assert_int_equal(st, 2);
        assert_int_equal(strncmp(text, "LOGINGUARD CRITICAL - ", 22), 0);
        /* Exactly one '|': the one before the perfdata; a summary's own
         * "| forged=2" cannot forge perfdata. */
        bar = strchr(text, '|');
        assert_non_null(bar);
        assert_null(strchr(bar + 1, '|'));
        assert_null(strstr(bar, "forged"));
        free(text);
        status_free(s);
        /* Thresholds in the perfdata: value;warn;crit. */
        s = fixture("critical");
        c.status = s;
        text = render(&c, OUTPUT_NAGIOS, &st);
        assert_non_null(strstr(text, " login1_queued=1048576B;4194304;16777216"));
        assert_non_null(strstr(text, " sessions=19763;5000;"));
        assert_non_null(strstr(text, " login1_cpu=99%;90;"));
        free(text);
        status_free(s);
        /* A usage error: one UNKNOWN line. */
        {
                char *u = NULL;
                size_t len;
                FILE *f = open_memstream(&u, &len);

                output_nagios_usage(f, "unknown option '--x|y'");
                fclose(f);
                assert_string_equal(u, "LOGINGUARD UNKNOWN - usage: unknown option '--x/y'; see guardd --help\n");
                free(u);
        }
}

static void test_prometheus_prefix(void **state) {
        Status *s = fixture("critical");
        OutputContext c = { .status = s, .path = "/run/loginguard/status" };
        char *text, *line, *save = NULL;
        int st;

        text = render(&c, OUTPUT_PROMETHEUS, &st);
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (line[0] != '#' && strncmp(line, "loginguard_", 11) != 0)
                        fail_msg("metric without the loginguard_ prefix: %s", line);
        free(text);
        text = render(&c, OUTPUT_PROMETHEUS, &st);
        assert_non_null(strstr(text, "\nloginguard_login1_queue_skip_bytes 16777216\n"));
        assert_non_null(strstr(text, "\nloginguard_culprit{state=\"login1\"} 1\n"));
        assert_non_null(strstr(text, "\nloginguard_login1_breaker{state=\"open\"} 1\n"));
        free(text);
        status_free(s);
}

static void test_unknown(void **state) {
        Status *s = fixture("ok");
        OutputContext c = { .status = s, .path = "/run/loginguard/status", .stale = true,
                            .age_usec = 60000000, .liveness = GUARDD_GONE };
        char *text;
        int st;

        text = render(&c, OUTPUT_NAGIOS, &st);
        assert_int_equal(st, 3);
        assert_non_null(strstr(text, "LOGINGUARD UNKNOWN - status /run/loginguard/status is 60 s old: "
                                     "guardd is not running (pid 4242 gone)"));
        free(text);
        c.liveness = GUARDD_ALIVE;
        c.guardd_state = 'S';
        (void) snprintf(c.guardd_wchan, sizeof(c.guardd_wchan), "unix_wait_for_peer");
        text = render(&c, OUTPUT_HUMAN, &st);
        assert_non_null(strstr(text, "is 60 s old, but guardd (pid 4242) is alive: state S, waiting in "
                                     "unix_wait_for_peer"));
        free(text);
        text = render(&c, OUTPUT_JSON, &st);
        assert_non_null(strstr(text, "\"guardd\":\"alive\""));
        free(text);
        text = render(&c, OUTPUT_PROMETHEUS, &st);
        assert_non_null(strstr(text, "loginguard_guardd_up 0\n"));
        free(text);
        status_free(s);
        c = (OutputContext){ .path = "/run/loginguard/status", .problem = "is missing" };
        text = render(&c, OUTPUT_NAGIOS, &st);
        assert_int_equal(st, 3);
        assert_non_null(strstr(text, "is missing: guardd is not running"));
        free(text);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_goldens),
                cmocka_unit_test(test_json_types_and_utf8),
                cmocka_unit_test(test_nagios),
                cmocka_unit_test(test_prometheus_prefix),
                cmocka_unit_test(test_unknown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
