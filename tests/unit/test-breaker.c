/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The breaker: the pure verdicts, the state machine on a real file with an
 * explicit clock, who may write, exact counters across processes, boot
 * binding and untrusted files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "breaker.h"

#define S UINT64_C(1000000)

static char dir[] = "/tmp/test-breaker.XXXXXX";
static const BreakerParams params = {
        .trip = 2,
        .window_usec = 60 * S,
        .cooldown_usec = 30 * S,
        .trial_timeout_usec = 20 * S,
};

static void open_b(Breaker *b, const char *target, bool privileged) {
        assert_int_equal(breaker_open(b, dir, target, privileged, geteuid()), 0);
}

static BreakerRecord read_rec(const char *target) {
        BreakerRecord r = {};
        char name[128];
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        breaker_file_name(target, name, sizeof(name));
        assert_int_equal(breaker_file_read(fd, name, geteuid(), &r), 0);
        close(fd);
        return r;
}

static bool file_exists(const char *target) {
        char path[256];

        (void) snprintf(path, sizeof(path), "%s/breaker-%s", dir, target);
        return access(path, F_OK) == 0;
}

static void test_pure_verdicts(void **state) {
        uint64_t open_at = 100 * S;

        assert_int_equal(breaker_verdict_for(0, &params, 5 * S), BREAKER_CALL);
        assert_int_equal(breaker_verdict_for(BREAKER_WORD(BREAKER_OPEN, 0, open_at), &params,
                                             open_at + 29 * S),
                         BREAKER_SKIP);
        assert_int_equal(breaker_verdict_for(BREAKER_WORD(BREAKER_OPEN, 0, open_at), &params,
                                             open_at + 30 * S),
                         BREAKER_TRIAL_DUE);
        assert_int_equal(breaker_verdict_for(BREAKER_WORD(BREAKER_OPEN, 1, open_at), &params,
                                             open_at + 59 * S),
                         BREAKER_SKIP);
        assert_int_equal(breaker_verdict_for(BREAKER_WORD(BREAKER_HALF_OPEN, 0, open_at), &params,
                                             open_at + 19 * S),
                         BREAKER_SKIP);
        assert_int_equal(breaker_verdict_for(BREAKER_WORD(BREAKER_HALF_OPEN, 0, open_at), &params,
                                             open_at + 20 * S),
                         BREAKER_TRIAL_DUE);
        /* Doubling stops at 10 minutes. */
        assert_int_equal(breaker_cooldown(&params, 0), 30 * S);
        assert_int_equal(breaker_cooldown(&params, 2), 120 * S);
        assert_int_equal(breaker_cooldown(&params, 15), 600 * S);
        /* The word keeps its fields apart. */
        assert_int_equal(BREAKER_WORD_STATE(BREAKER_WORD(BREAKER_HALF_OPEN, 7, 123456789)),
                         BREAKER_HALF_OPEN);
        assert_int_equal(BREAKER_WORD_LEVEL(BREAKER_WORD(BREAKER_HALF_OPEN, 7, 123456789)), 7);
        assert_int_equal(BREAKER_WORD_STAMP(BREAKER_WORD(BREAKER_HALF_OPEN, 7, 123456789)),
                         123456789);
}

static void test_bad_window(void **state) {
        BreakerRecord r = {};

        r.bad[0] = 10 * S;
        r.bad[1] = 50 * S;
        r.bad[2] = 80 * S;
        /* At 100 s with a 60 s window: 50 and 80 count, 10 is too old. */
        assert_int_equal(breaker_bad_within(&r, 0, &params, 100 * S), 2);
        /* Closed at 60 s: only 80 counts; the others were judged already. */
        assert_int_equal(
                breaker_bad_within(&r, BREAKER_WORD(BREAKER_CLOSED, 0, 60 * S), &params, 100 * S), 1);
}

static void test_healthy_writes_nothing(void **state) {
        Breaker b;

        open_b(&b, "healthy", true);
        assert_int_equal(breaker_decide(&b, &params, 10 * S), BREAKER_CALL);
        breaker_record(&b, &params, 10 * S, OUTCOME_OK);
        breaker_close(&b);
        assert_false(file_exists("healthy"));
}

static void test_state_machine(void **state) {
        Breaker b, u;
        BreakerRecord r;

        open_b(&b, "sm", true);
        breaker_record(&b, &params, 100 * S, OUTCOME_CUT);
        assert_int_equal(breaker_decide(&b, &params, 101 * S), BREAKER_CALL);
        /* A late call is not held against logind. */
        breaker_record(&b, &params, 101 * S, OUTCOME_LATE);
        assert_int_equal(breaker_decide(&b, &params, 102 * S), BREAKER_CALL);
        breaker_record(&b, &params, 102 * S, OUTCOME_CUT);
        assert_int_equal(breaker_decide(&b, &params, 103 * S), BREAKER_SKIP);
        breaker_record(&b, &params, 103 * S, OUTCOME_SKIPPED);
        breaker_close(&b);

        /* After the cooldown: a user's su may not take the trial. */
        open_b(&u, "sm", false);
        assert_int_equal(breaker_decide(&u, &params, 140 * S), BREAKER_SKIP);
        breaker_close(&u);
        /* A root login takes it; a second root login does not. */
        open_b(&b, "sm", true);
        assert_int_equal(breaker_decide(&b, &params, 140 * S), BREAKER_TRIAL);
        open_b(&u, "sm", true);
        assert_int_equal(breaker_decide(&u, &params, 141 * S), BREAKER_SKIP);
        breaker_close(&u);
        /* The trial is cut: open again, cooldown doubled. */
        breaker_record(&b, &params, 142 * S, OUTCOME_CUT);
        breaker_close(&b);
        r = read_rec("sm");
        assert_int_equal(BREAKER_WORD_STATE(r.word), BREAKER_OPEN);
        assert_int_equal(BREAKER_WORD_LEVEL(r.word), 1);
        open_b(&b, "sm", true);
        assert_int_equal(breaker_decide(&b, &params, 142 * S + 59 * S), BREAKER_SKIP);
        assert_int_equal(breaker_decide(&b, &params, 142 * S + 60 * S), BREAKER_TRIAL);
        /* The trial answers (late is fine): closed, and the old cuts forgotten. */
        breaker_record(&b, &params, 203 * S, OUTCOME_LATE);
        assert_int_equal(breaker_decide(&b, &params, 204 * S), BREAKER_CALL);
        breaker_record(&b, &params, 205 * S, OUTCOME_CUT);
        assert_int_equal(breaker_decide(&b, &params, 206 * S), BREAKER_CALL);
        breaker_close(&b);
        r = read_rec("sm");
        assert_int_equal(r.cuts, 4);
        assert_int_equal(r.skips, 1);
        assert_int_equal(r.late, 2);
        assert_int_equal(r.fallbacks, 5);
        assert_int_equal(r.trials, 2);
        assert_int_equal(r.opened, 1);
}

static void test_unprivileged_never_writes(void **state) {
        Breaker u;

        open_b(&u, "user", false);
        breaker_record(&u, &params, 100 * S, OUTCOME_CUT);
        breaker_record(&u, &params, 100 * S, OUTCOME_CUT);
        breaker_record(&u, &params, 100 * S, OUTCOME_SKIPPED);
        assert_int_equal(breaker_decide(&u, &params, 101 * S), BREAKER_CALL);
        breaker_close(&u);
        assert_false(file_exists("user"));
}

static void test_dead_trial_reclaimed(void **state) {
        Breaker b, c;

        open_b(&b, "dead", true);
        breaker_record(&b, &params, 100 * S, OUTCOME_CUT);
        breaker_record(&b, &params, 100 * S, OUTCOME_CUT);
        assert_int_equal(breaker_decide(&b, &params, 131 * S), BREAKER_TRIAL);
        breaker_close(&b); /* its owner never reports */
        open_b(&c, "dead", true);
        assert_int_equal(breaker_decide(&c, &params, 150 * S), BREAKER_SKIP);
        assert_int_equal(breaker_decide(&c, &params, 151 * S), BREAKER_TRIAL);
        breaker_record(&c, &params, 152 * S, OUTCOME_OK);
        assert_int_equal(breaker_decide(&c, &params, 153 * S), BREAKER_CALL);
        breaker_close(&c);
}

/* Many processes at once: every increment lands. */
static void test_exact_counters(void **state) {
        enum { PROCS = 8, EACH = 400 };
        BreakerRecord r;
        Breaker b;

        open_b(&b, "load", true);
        breaker_record(&b, &params, 1 * S, OUTCOME_SKIPPED); /* create it */
        breaker_close(&b);
        for (int p = 0; p < PROCS; p++) {
                pid_t pid = fork();

                assert_true(pid >= 0);
                if (pid == 0) {
                        Breaker c;

                        if (breaker_open(&c, dir, "load", true, geteuid()) < 0)
                                _exit(1);
                        for (int i = 0; i < EACH; i++)
                                breaker_record(&c, &params, 2 * S, i % 2 ? OUTCOME_SKIPPED : OUTCOME_CUT);
                        breaker_close(&c);
                        _exit(0);
                }
        }
        for (int p = 0; p < PROCS; p++) {
                int status;

                assert_true(wait(&status) > 0);
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        r = read_rec("load");
        assert_int_equal(r.skips, 1 + PROCS * EACH / 2);
        assert_int_equal(r.cuts, PROCS * EACH / 2);
        assert_int_equal(r.fallbacks, 1 + PROCS * EACH);
        assert_int_equal(r.opened, 1);
}

static void write_file(const char *name, const void *data, size_t len, mode_t mode) {
        char path[256];
        int fd;

        (void) snprintf(path, sizeof(path), "%s/%s", dir, name);
        (void) unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t) len);
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
}

static void test_other_boot_and_corrupt(void **state) {
        BreakerRecord r = {
                .magic = BREAKER_FILE_MAGIC,
                .version = BREAKER_FILE_VERSION,
                .size = sizeof(BreakerRecord),
                .word = BREAKER_WORD(BREAKER_OPEN, 3, 5 * S),
        };
        Breaker b;

        /* An open breaker from another boot (boot id all zero) means nothing. */
        write_file("breaker-oldboot", &r, sizeof(r), 0644);
        open_b(&b, "oldboot", true);
        assert_int_equal(breaker_decide(&b, &params, 6 * S), BREAKER_CALL);
        breaker_record(&b, &params, 7 * S, OUTCOME_SKIPPED);
        breaker_close(&b);
        r = read_rec("oldboot");
        assert_int_equal(BREAKER_WORD_STATE(r.word), BREAKER_CLOSED);
        assert_int_equal(r.skips, 1);

        /* Garbage: ignored (the login calls the module), replaced on a write. */
        write_file("breaker-garbage", "garbage\n", 8, 0644);
        open_b(&b, "garbage", true);
        assert_int_equal(breaker_decide(&b, &params, 6 * S), BREAKER_CALL);
        assert_int_equal(b.error, -EBADMSG);
        breaker_record(&b, &params, 7 * S, OUTCOME_CUT);
        breaker_close(&b);
        assert_int_equal(read_rec("garbage").cuts, 1);

        /* Writable by others: never trusted, never used. */
        write_file("breaker-forged", &r, sizeof(r), 0666);
        open_b(&b, "forged", true);
        assert_int_equal(breaker_decide(&b, &params, 6 * S), BREAKER_CALL);
        assert_int_equal(b.error, -EPERM);
        breaker_close(&b);
}

static void test_untrusted_dir(void **state) {
        char path[256];
        Breaker b;

        (void) snprintf(path, sizeof(path), "%s/open-dir", dir);
        assert_int_equal(mkdir(path, 0777), 0);
        assert_int_equal(chmod(path, 0777), 0);
        assert_int_equal(breaker_open(&b, path, "x", true, geteuid()), -EPERM);
        assert_int_equal(breaker_decide(&b, &params, 1 * S), BREAKER_CALL);
        breaker_record(&b, &params, 1 * S, OUTCOME_CUT); /* no crash, no write */
        breaker_close(&b);
}

/* Created by root for root whatever the umask: through su, a user's umask
 * of 0777 must not leave a directory nobody can read. */
static void test_dir_created_0755_root(void **state) {
        char path[256];
        struct stat st;
        mode_t old;
        Breaker b;

        if (geteuid() != 0)
                skip();
        (void) snprintf(path, sizeof(path), "%s/made", dir);
        old = umask(0777);
        assert_int_equal(breaker_open(&b, path, "x", true, 0), 0);
        umask(old);
        breaker_close(&b);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);
        assert_int_equal(st.st_uid, 0);
        assert_int_equal(st.st_gid, 0);
        /* An unprivileged caller never creates it. */
        (void) snprintf(path, sizeof(path), "%s/not-made", dir);
        assert_int_equal(breaker_open(&b, path, "x", false, 0), -ENOENT);
        breaker_close(&b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pure_verdicts),
                cmocka_unit_test(test_bad_window),
                cmocka_unit_test(test_healthy_writes_nothing),
                cmocka_unit_test(test_state_machine),
                cmocka_unit_test(test_unprivileged_never_writes),
                cmocka_unit_test(test_dead_trial_reclaimed),
                cmocka_unit_test(test_exact_counters),
                cmocka_unit_test(test_other_boot_and_corrupt),
                cmocka_unit_test(test_untrusted_dir),
                cmocka_unit_test(test_dir_created_0755_root),
        };
        char cmd[128];
        int r;

        if (!mkdtemp(dir))
                return 1;
        r = cmocka_run_group_tests(tests, NULL, NULL);
        (void) snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                r = 1;
        return r;
}
