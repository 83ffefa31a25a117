/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The watch table (common/watch-file.c): claiming, the user share, a slot
 * taken back while its login was stopped, the return handshake against a
 * look in progress (waited for, or given up on after the bound and then
 * freed by guardd), freshness, guardd's verdict under its sequence count,
 * slot validation, which files are refused, and how a login learns from
 * the kernel that it shares guardd's pid namespace (guardd's lock on the
 * table, and the pid guardd publishes only when no outer namespace
 * numbers it the same).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io-util.h"
#include "watch-file.h"

static char dir[] = "/tmp/test-watch.XXXXXX";

static WatchFile *fresh_table(void) {
        WatchFile *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        f->magic = WATCH_FILE_MAGIC;
        f->version = WATCH_FILE_VERSION;
        f->size = sizeof(*f);
        watch_file_beat(f, now_usec(CLOCK_MONOTONIC));
        return f;
}

static unsigned arm_one(WatchFile *f, bool user, uint64_t *word) {
        int slot = watch_claim(f, user, 4242, 0, word);

        assert_true(slot >= 0);
        assert_int_equal(WATCH_WORD_PID(*word), 4242);
        assert_true(watch_arm(f, (unsigned) slot, word));
        assert_int_equal(WATCH_WORD_STATE(*word), WATCH_ARMED);
        return (unsigned) slot;
}

static void test_claim_and_share(void **state) {
        WatchFile *f = fresh_table();
        uint64_t w1, w2, w;
        int a = watch_claim(f, false, 4242, 5, &w1), b = watch_claim(f, false, 4242, 5, &w2), n = 0;

        assert_int_equal(a, 5);
        assert_int_equal(b, 6); /* taken: the next one */
        assert_int_equal(WATCH_WORD_GEN(w1), 1);
        /* Users' logins get half the table, root's logins the rest. */
        while (watch_claim(f, true, 4242, 0, &w) >= 0)
                n++;
        assert_int_equal(n, WATCH_USER_SLOTS);
        assert_int_equal(watch_claim(f, true, 4242, 0, &w), -EBUSY);
        while (watch_claim(f, false, 4242, 0, &w) >= 0)
                n++;
        assert_int_equal(n + 2, WATCH_SLOTS);
        assert_int_equal(watch_claim(f, false, 4242, 0, &w), -EBUSY);
        free(f);
}

/* A login stopped between claim and arm whose slot guardd took back:
 * its arm fails (it then uses its own thread), the new owner's stands. */
static void test_taken_back(void **state) {
        WatchFile *f = fresh_table();
        uint64_t mine, theirs;
        int slot = watch_claim(f, true, 4242, 3, &mine);

        assert_true(watch_release(f, (unsigned) slot, mine));
        assert_int_equal(watch_claim(f, false, 4242, 3, &theirs), slot);
        assert_false(watch_arm(f, (unsigned) slot, &mine));
        assert_true(watch_arm(f, (unsigned) slot, &theirs));
        free(f);
}

static void test_finish_idle(void **state) {
        WatchFile *f = fresh_table();
        WatchResult r;
        uint64_t w;
        unsigned slot = arm_one(f, false, &w);

        assert_int_equal(f->armed_total, 1);
        watch_finish(f, slot, w, &r);
        assert_true(r.exact);
        assert_false(r.fired);
        assert_int_equal(r.n_cut, 0);
        assert_int_equal(WATCH_WORD_STATE(f->words[slot]), WATCH_FREE);
        /* guardd, too late: no look at a call that returned. */
        assert_false(watch_pass_begin(f, slot, w));
        free(f);
}

typedef struct Finisher {
        WatchFile *f;
        unsigned slot;
        uint64_t word;
        WatchResult r;
        uint64_t took_usec;
} Finisher;

static void *finish_main(void *p) {
        Finisher *x = p;
        uint64_t t = now_usec(CLOCK_MONOTONIC);

        watch_finish(x->f, x->slot, x->word, &x->r);
        x->took_usec = now_usec(CLOCK_MONOTONIC) - t;
        return NULL;
}

/* The call returns while guardd cuts it: the login waits for the cut and
 * reads exactly what guardd did. */
static void test_finish_waits_for_cut(void **state) {
        WatchFile *f = fresh_table();
        Finisher x = { .f = f };
        pthread_t t;

        x.slot = arm_one(f, false, &x.word);
        assert_true(watch_pass_begin(f, x.slot, x.word));
        assert_int_equal(pthread_create(&t, NULL, finish_main, &x), 0);
        usleep(50 * 1000);
        f->slots[x.slot].fired = 1;
        f->slots[x.slot].n_cut = 2;
        watch_pass_end(f, x.slot, x.word);
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_true(x.r.exact);
        assert_true(x.r.fired);
        assert_int_equal(x.r.n_cut, 2);
        assert_true(x.took_usec >= 40 * 1000);
        assert_int_equal(WATCH_WORD_STATE(f->words[x.slot]), WATCH_FREE);
        free(f);
}

/* guardd stalls in the middle of a cut: the login gives up after the bound
 * and leaves; guardd, when done, frees the slot itself. */
static void test_finish_gives_up(void **state) {
        WatchFile *f = fresh_table();
        Finisher x = { .f = f };
        pthread_t t;

        x.slot = arm_one(f, false, &x.word);
        assert_true(watch_pass_begin(f, x.slot, x.word));
        assert_int_equal(pthread_create(&t, NULL, finish_main, &x), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_false(x.r.exact);
        assert_true(x.took_usec >= WATCH_FINISH_WAIT_USEC);
        assert_true(x.took_usec < 5 * WATCH_FINISH_WAIT_USEC);
        assert_true(watch_returned(f, x.slot, x.word, WATCH_RET_ABANDONED));
        assert_int_equal(WATCH_WORD_STATE(f->words[x.slot]), WATCH_CUTTING);
        watch_pass_end(f, x.slot, x.word);
        assert_int_equal(WATCH_WORD_STATE(f->words[x.slot]), WATCH_FREE);
        free(f);
}

static void test_fresh(void **state) {
        WatchFile *f = fresh_table();
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        assert_true(watch_file_fresh(f, now));
        assert_false(watch_file_fresh(f, now + WATCH_FRESH_USEC + 1000));
        f->heartbeat_usec = 0; /* guardd stopping */
        assert_false(watch_file_fresh(f, now));
        watch_file_beat(f, now);
        /* Another boot: its start by the wall clock is not ours. */
        f->boot_wall_usec -= 3600 * INT64_C(1000000);
        assert_false(watch_file_fresh(f, now));
        free(f);
}

static void test_verdict(void **state) {
        WatchFile *f = fresh_table();
        WatchVerdict v = { .written_usec = 77, .devlog_quiet = 1 }, r;

        assert_false(watch_verdict_read(f, &r)); /* never published */
        v.skip[WATCH_SERVICE_LOGIN1] = 1;
        (void) snprintf(v.state[WATCH_SERVICE_LOGIN1], sizeof(v.state[0]), "stuck");
        (void) snprintf(v.status_path, sizeof(v.status_path), "/run/loginguard/status");
        watch_verdict_publish(f, &v);
        assert_true(watch_verdict_read(f, &r));
        assert_int_equal(r.written_usec, 77);
        assert_int_equal(r.skip[WATCH_SERVICE_LOGIN1], 1);
        assert_int_equal(r.skip[WATCH_SERVICE_CONSOLEKIT], 0);
        assert_string_equal(r.state[WATCH_SERVICE_LOGIN1], "stuck");
        assert_string_equal(r.status_path, "/run/loginguard/status");
        f->verdict.seq |= 1U; /* guardd in the middle of writing it */
        assert_false(watch_verdict_read(f, &r));
        assert_int_equal(watch_service_from_key("LOGIN1"), WATCH_SERVICE_LOGIN1);
        assert_int_equal(watch_service_from_key("CONSOLEKIT"), WATCH_SERVICE_CONSOLEKIT);
        assert_int_equal(watch_service_from_key("OTHER"), -ENOENT);
        free(f);
}

static void test_slot_valid(void **state) {
        WatchSlot s = { .claim_usec = 7, .fd_limit = 1024 };

        assert_true(watch_slot_valid(&s));
        s.n_keep = WATCH_KEEP_MAX + 1;
        assert_false(watch_slot_valid(&s));
        s.n_keep = 0;
        memset(s.devlog, 'x', sizeof(s.devlog));
        assert_false(watch_slot_valid(&s));
        s.devlog[0] = '\0';
        s.bus_len = CUT_PATH_MAX;
        assert_false(watch_slot_valid(&s));
        s.bus_len = 0;
        s.fd_limit = WATCH_FD_LIMIT_MAX + 1; /* guardd's look would not be bounded */
        assert_false(watch_slot_valid(&s));
        s.fd_limit = 0;
        assert_false(watch_slot_valid(&s));
        s.fd_limit = 1024;
        s.claim_usec = 0;
        assert_false(watch_slot_valid(&s));
}

/* The claimer's pid is part of the claimed word and stays through every
 * state change: guardd knows whose slot it is before any field is written. */
static void test_word_carries_pid(void **state) {
        WatchFile *f = fresh_table();
        uint64_t w;
        int slot = watch_claim(f, true, 4194304, 9, &w);

        assert_int_equal(slot, 9);
        assert_int_equal(WATCH_WORD_PID(f->words[slot]), 4194304);
        assert_int_equal(WATCH_WORD_STATE(f->words[slot]), WATCH_CLAIMED);
        assert_true(WATCH_WORD_USER(f->words[slot]));
        assert_true(watch_arm(f, (unsigned) slot, &w));
        assert_int_equal(WATCH_WORD_PID(f->words[slot]), 4194304);
        assert_true(watch_pass_begin(f, (unsigned) slot, w));
        assert_int_equal(WATCH_WORD_PID(f->words[slot]), 4194304);
        watch_pass_end(f, (unsigned) slot, w);
        assert_int_equal(watch_claim(f, false, 0, 1, &w), -EINVAL);
        free(f);
}

static int dir_fd(void) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        assert_true(fd >= 0);
        return fd;
}

static void test_files(void **state) {
        char path[256], link[256];
        struct stat st;
        WatchMap m = {};
        int fd = dir_fd();

        (void) snprintf(path, sizeof(path), "%s/" WATCH_FILE_NAME, dir);
        assert_int_equal(watch_file_map(fd, geteuid(), false, &m), -ENOENT);
        assert_int_equal(watch_file_map(fd, geteuid(), true, &m), 0); /* guardd makes it */
        watch_file_unmap(&m);
        assert_int_equal(watch_file_map(fd, geteuid(), false, &m), 0); /* a login maps it */
        watch_file_unmap(&m);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600); /* nothing in it is for users */
        assert_int_equal(chmod(path, 0666), 0);
        assert_int_equal(watch_file_map(fd, geteuid(), false, &m), -EPERM);
        /* Readable by others: pids and deadlines of root's logins, not ours. */
        assert_int_equal(chmod(path, 0644), 0);
        assert_int_equal(watch_file_map(fd, geteuid(), false, &m), -EPERM);
        assert_int_equal(chmod(path, 0600), 0);
        assert_int_equal(truncate(path, 100), 0);
        assert_int_equal(watch_file_map(fd, geteuid(), false, &m), -EBADMSG);
        /* guardd replaces a corrupt one. */
        assert_int_equal(watch_file_map(fd, geteuid(), true, &m), 0);
        watch_file_unmap(&m);
        (void) snprintf(link, sizeof(link), "%s/elsewhere", dir);
        assert_int_equal(rename(path, link), 0);
        assert_int_equal(symlink(link, path), 0);
        assert_int_equal(watch_file_map(fd, geteuid(), false, &m), -EPERM);
        (void) unlink(path);
        (void) unlink(link);
        close(fd);
}

static void test_pid_unique(void **state) {
        /* guardd in the host's namespace: one level. */
        assert_int_equal(watch_pid_unique("\nName:\tguardd\nNSpid:\t812\nNSsid:\t1\n", 812), 812);
        /* In a container: the host's number first, guardd's own last. */
        assert_int_equal(watch_pid_unique("\nNSpid:\t40311\t52\n", 52), 52);
        assert_int_equal(watch_pid_unique("\nNSpid:\t40311\t9\t52\n", 52), 52);
        /* An outer namespace numbers guardd the same: a login there would
         * see guardd's lock held by "52" too, and take 52's pids for its. */
        assert_int_equal(watch_pid_unique("\nNSpid:\t52\t52\n", 52), 0);
        assert_int_equal(watch_pid_unique("\nNSpid:\t52\t7\t52\n", 52), 0);
        /* Not our pid, no line (an old kernel), or a broken one: nobody's. */
        assert_int_equal(watch_pid_unique("\nNSpid:\t40311\t52\n", 40311), 0);
        assert_int_equal(watch_pid_unique("\nName:\tguardd\nPid:\t52\n", 52), 0);
        assert_int_equal(watch_pid_unique("\nNSpid:\t\n", 52), 0);
        assert_int_equal(watch_pid_unique("\nNSpid:\t99999999999\t52\n", 52), 0);
        assert_int_equal(watch_pid_unique("\nNSpid:\t52\n", 0), 0);
        assert_int_equal(watch_own_pid(), (int32_t) getpid()); /* the test runs in one namespace */
}

/* guardd, in a child: maps the table, holds its lock, waits. */
static void guardd_child(int ready, int done) {
        int fd = dir_fd();
        WatchMap m = {};
        char c = 0;

        if (watch_file_map(fd, geteuid(), true, &m) < 0)
                _exit(1);
        m.own_pid = watch_own_pid();
        if (watch_file_hold(&m) < 0 || watch_file_hold(&m) < 0) /* again: as at every tick */
                _exit(2);
        if (write(ready, "x", 1) != 1 || read(done, &c, 1) < 0)
                _exit(3);
        watch_file_unmap(&m); /* releases the lock */
        _exit(0);
}

static void test_holder(void **state) {
        int ready[2], done[2], fd = dir_fd(), st;
        int32_t holder = -1;
        WatchMap m = {};
        uint32_t run;
        pid_t child;
        char c;

        assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
        assert_int_equal(pipe2(done, O_CLOEXEC), 0);
        child = fork();
        assert_true(child >= 0);
        if (child == 0)
                guardd_child(ready[1], done[0]);
        assert_int_equal(read(ready[0], &c, 1), 1);
        /* A login: the kernel names the lock's holder, and guardd published
         * the same pid. */
        assert_int_equal(watch_file_map(fd, geteuid(), false, &m), 0);
        assert_int_equal(m.holder, child);
        assert_int_equal(m.file->guardd_pid, child);
        run = m.file->guardd_run;
        assert_true(run > 0);
        assert_false(m.holds_fd);
        assert_int_equal(watch_file_probe(fd, geteuid(), &holder), 0);
        assert_int_equal(holder, child);
        assert_int_equal(write(done[1], "x", 1), 1);
        assert_int_equal(waitpid(child, &st, 0), child);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        /* guardd gone: nobody holds it, whatever the header still says. */
        assert_int_equal(watch_file_probe(fd, geteuid(), &holder), 0);
        assert_int_equal(holder, 0);
        assert_int_equal(m.file->guardd_pid, child);
        watch_file_unmap(&m);
        /* A process never sees its own lock held: guardd's own calls are no
         * login's, and a login never holds it. */
        assert_int_equal(watch_file_map(fd, geteuid(), true, &m), 0);
        m.own_pid = watch_own_pid();
        assert_int_equal(watch_file_hold(&m), 0);
        assert_int_equal(m.file->guardd_pid, getpid());
        assert_true(m.file->guardd_run > run); /* another guardd: another run */
        assert_int_equal(watch_file_holder(m.fd), 0);
        /* No pid of its own (an outer namespace numbers it the same): the
         * lock is held, and guardd_pid says 0, so no login relies on it. */
        m.own_pid = 0;
        assert_int_equal(watch_file_hold(&m), 0);
        assert_int_equal(m.file->guardd_pid, 0);
        watch_file_unmap(&m);
        close(ready[0]);
        close(ready[1]);
        close(done[0]);
        close(done[1]);
        close(fd);
}

static int setup(void **state) {
        return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
        char cmd[128];

        (void) snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_claim_and_share),
                cmocka_unit_test(test_taken_back),
                cmocka_unit_test(test_finish_idle),
                cmocka_unit_test(test_finish_waits_for_cut),
                cmocka_unit_test(test_finish_gives_up),
                cmocka_unit_test(test_fresh),
                cmocka_unit_test(test_verdict),
                cmocka_unit_test(test_slot_valid),
                cmocka_unit_test(test_word_carries_pid),
                cmocka_unit_test(test_files),
                cmocka_unit_test(test_pid_unique),
                cmocka_unit_test(test_holder),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
