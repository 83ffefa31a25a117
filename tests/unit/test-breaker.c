/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The breaker state machine on its file, with an explicit clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../pam_module/breaker.h"

#define S 1000000ULL

static char dir[] = "/tmp/test-breaker.XXXXXX";

static void setup_config(Config *c) {
        config_init(c);
        c->trip = 2;
        c->window_usec = 60 * S;
        c->cooldown_usec = 30 * S;
        c->deadline_usec = 2 * S;
}

static BreakerVerdict decide(BreakerFile *f, Config *c, uint64_t now) {
        BreakerVerdict v = BREAKER_SKIP;

        assert_int_equal(breaker_decide(f, c, now, &v), 0);
        return v;
}

static void test_state_machine(void **state) {
        BreakerFile f;
        Breaker b;
        Config c;

        setup_config(&c);
        assert_int_equal(breaker_file_open(dir, "pam_test", &f), 0);
        assert_int_equal(decide(&f, &c, 100 * S), BREAKER_CALL);

        /* One cut: still closed. Two within the window: open. */
        assert_int_equal(breaker_record(&f, &c, 100 * S, OUTCOME_CUT, 2 * S, false), 0);
        assert_int_equal(decide(&f, &c, 101 * S), BREAKER_CALL);
        assert_int_equal(breaker_record(&f, &c, 101 * S, OUTCOME_SLOW, 1 * S, false), 0);
        assert_int_equal(breaker_load(&f, &b), 0);
        assert_int_equal(b.state, BREAKER_OPEN);
        assert_int_equal(b.cuts, 1);
        assert_int_equal(b.slow, 1);
        assert_int_equal(b.fallbacks, 1);

        assert_int_equal(decide(&f, &c, 110 * S), BREAKER_SKIP);
        assert_int_equal(breaker_record(&f, &c, 110 * S, OUTCOME_SKIPPED, 0, false), 0);

        /* Cooldown over: exactly one trial. */
        assert_int_equal(decide(&f, &c, 131 * S + 1), BREAKER_TRIAL);
        assert_int_equal(decide(&f, &c, 131 * S + 2), BREAKER_SKIP);
        /* The trial is cut: open again, cooldown doubled. */
        assert_int_equal(breaker_record(&f, &c, 133 * S, OUTCOME_CUT, 2 * S, true), 0);
        assert_int_equal(breaker_load(&f, &b), 0);
        assert_int_equal(b.state, BREAKER_OPEN);
        assert_int_equal(b.cooldown_usec, 60 * S);
        assert_int_equal(decide(&f, &c, 180 * S), BREAKER_SKIP);

        /* Next trial succeeds: closed, cooldown reset. */
        assert_int_equal(decide(&f, &c, 194 * S), BREAKER_TRIAL);
        assert_int_equal(breaker_record(&f, &c, 194 * S, OUTCOME_OK, 10000, true), 0);
        assert_int_equal(breaker_load(&f, &b), 0);
        assert_int_equal(b.state, BREAKER_CLOSED);
        assert_int_equal(b.cooldown_usec, 0);
        assert_int_equal(b.skips, 1);
        assert_int_equal(b.calls, 4); /* the skip is not a call */
        assert_int_equal(decide(&f, &c, 195 * S), BREAKER_CALL);
        breaker_file_close(&f);
}

static void test_window(void **state) {
        BreakerFile f;
        Breaker b;
        Config c;

        setup_config(&c);
        assert_int_equal(breaker_file_open(dir, "pam_window", &f), 0);
        /* Two cuts further apart than the window do not trip it. */
        assert_int_equal(breaker_record(&f, &c, 100 * S, OUTCOME_CUT, 0, false), 0);
        assert_int_equal(breaker_record(&f, &c, 161 * S, OUTCOME_CUT, 0, false), 0);
        assert_int_equal(breaker_load(&f, &b), 0);
        assert_int_equal(b.state, BREAKER_CLOSED);
        breaker_file_close(&f);
}

static void test_cooldown_cap(void **state) {
        BreakerFile f;
        Breaker b;
        Config c;
        uint64_t now = 1000 * S;

        setup_config(&c);
        assert_int_equal(breaker_file_open(dir, "pam_cap", &f), 0);
        assert_int_equal(breaker_record(&f, &c, now, OUTCOME_CUT, 0, false), 0);
        assert_int_equal(breaker_record(&f, &c, now, OUTCOME_CUT, 0, false), 0);
        for (int i = 0; i < 8; i++) {
                now += 2000 * S;
                assert_int_equal(decide(&f, &c, now), BREAKER_TRIAL);
                assert_int_equal(breaker_record(&f, &c, now, OUTCOME_CUT, 0, true), 0);
        }
        assert_int_equal(breaker_load(&f, &b), 0);
        assert_true(b.cooldown_usec == BREAKER_COOLDOWN_MAX_USEC);
        breaker_file_close(&f);
}

static void test_dead_trial_reclaimed(void **state) {
        BreakerFile f;
        Config c;

        setup_config(&c);
        assert_int_equal(breaker_file_open(dir, "pam_dead", &f), 0);
        assert_int_equal(breaker_record(&f, &c, 100 * S, OUTCOME_CUT, 0, false), 0);
        assert_int_equal(breaker_record(&f, &c, 100 * S, OUTCOME_CUT, 0, false), 0);
        assert_int_equal(decide(&f, &c, 131 * S), BREAKER_TRIAL);
        /* Its owner never reports: after 2 x deadline + 5 s a new trial is allowed. */
        assert_int_equal(decide(&f, &c, 131 * S + 8 * S), BREAKER_SKIP);
        assert_int_equal(decide(&f, &c, 131 * S + 10 * S), BREAKER_TRIAL);
        breaker_file_close(&f);
}

static void test_corrupt(void **state) {
        char path[300];
        BreakerFile f;
        Breaker b;
        Config c;
        FILE *fp;

        setup_config(&c);
        assert_int_equal(breaker_file_open(dir, "pam_corrupt", &f), 0);
        (void) snprintf(path, sizeof(path), "%s/breaker-pam_corrupt", dir);
        fp = fopen(path, "we");
        assert_non_null(fp);
        fputs("FORMAT=1\nSTATE=sideways\n", fp);
        fclose(fp);
        assert_int_equal(breaker_load(&f, &b), -EBADMSG);
        assert_int_equal(b.state, BREAKER_CLOSED);
        assert_int_equal(decide(&f, &c, 5 * S), BREAKER_CALL);
        assert_int_equal(breaker_record(&f, &c, 5 * S, OUTCOME_OK, 1, false), 0);
        assert_int_equal(breaker_load(&f, &b), 0);
        assert_int_equal(b.calls, 1);
        breaker_file_close(&f);
}

static void test_untrusted_dir(void **state) {
        char path[300];
        BreakerFile f;

        (void) snprintf(path, sizeof(path), "%s/open", dir);
        assert_int_equal(mkdir(path, 0777), 0);
        assert_int_equal(chmod(path, 0777), 0);
        assert_int_equal(breaker_file_open(path, "pam_x", &f), -EPERM);
        rmdir(path);
}

static void test_format_round_trip(void **state) {
        Breaker b = {
                .state = BREAKER_HALF_OPEN, .trial_usec = 5, .n_bad = 2, .bad = { 7, 9 }, .cuts = 3
        };
        Breaker c;
        char *text = NULL;
        size_t len;

        assert_int_equal(breaker_format(&b, 11, &text, &len), 0);
        assert_int_equal(breaker_parse(text, len, &c), 0);
        assert_int_equal(c.state, BREAKER_HALF_OPEN);
        assert_int_equal(c.n_bad, 2);
        assert_int_equal(c.bad[1], 9);
        assert_int_equal(c.cuts, 3);
        free(text);
        assert_int_equal(breaker_parse("FORMAT=1\nSTATE=open\nBAD=1,,2\n", 28, &c), -EBADMSG);
}

static int cleanup(void **state) {
        char cmd[128];

        (void) snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_state_machine),
                cmocka_unit_test(test_window),
                cmocka_unit_test(test_cooldown_cap),
                cmocka_unit_test(test_dead_trial_reclaimed),
                cmocka_unit_test(test_corrupt),
                cmocka_unit_test(test_untrusted_dir),
                cmocka_unit_test(test_format_round_trip),
        };

        if (!mkdtemp(dir))
                return 1;
        return cmocka_run_group_tests(tests, NULL, cleanup);
}
