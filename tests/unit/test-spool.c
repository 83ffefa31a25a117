/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The drain's spool: records keep their sender's credentials, a torn last
 * record is cut off when the spool is opened again, progress survives a
 * restart, and the spool is removed only once every record was replayed.
 * (A spool on a full filesystem is tested on a small tmpfs, in
 * tests/integration/test-devlog.sh.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devlog-spool.h"

static char dir[] = "/tmp/test-spool.XXXXXX";

static void test_round_trip(void **state) {
        SpoolCred a = { .pid = 11, .uid = 1000, .gid = 1000 }, b = { .pid = 22, .uid = 0, .gid = 0 }, c;
        char buf[SPOOL_MSG_MAX], path[256];
        uint64_t next, second;
        size_t len;
        Spool s;
        int fd;

        assert_int_equal(spool_open(&s, dir, false), -ENOENT);
        assert_int_equal(spool_open(&s, dir, true), 0);
        assert_false(spool_pending(&s));
        assert_int_equal(spool_append(&s, &a, "<13>one", 7), 0);
        assert_int_equal(spool_append(&s, &b, "<13>two", 7), 0);
        assert_true(spool_pending(&s));
        assert_int_equal(spool_read(&s, s.replay_off, &c, buf, &len, &next), 0);
        assert_int_equal(len, 7);
        assert_memory_equal(buf, "<13>one", 7);
        assert_int_equal(c.pid, 11);
        assert_int_equal(c.uid, 1000);
        assert_int_equal(spool_advance(&s, next), 0);
        second = next;
        /* Not done: the spool stays. */
        assert_int_equal(spool_remove_if_done(&s), 0);
        spool_close(&s);

        /* A guardd killed mid-write left half a record: cut off on open. */
        (void) snprintf(path, sizeof(path), "%s/%s", dir, SPOOL_NAME);
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "\x07\0\0\0\x01", 5), 5);
        close(fd);
        assert_int_equal(spool_open(&s, dir, false), 0);
        assert_int_equal(s.replay_off, second); /* progress survived */
        assert_int_equal(spool_read(&s, s.replay_off, &c, buf, &len, &next), 0);
        assert_memory_equal(buf, "<13>two", 7);
        assert_int_equal(c.uid, 0);
        assert_int_equal(spool_read(&s, next, &c, buf, &len, &next), -ENODATA);
        assert_int_equal(spool_advance(&s, s.size), 0);
        assert_int_equal(spool_remove_if_done(&s), 1);
        assert_int_equal(access(path, F_OK), -1);
}

static void test_not_a_spool(void **state) {
        char path[256];
        Spool s;
        FILE *f;

        (void) snprintf(path, sizeof(path), "%s/%s", dir, SPOOL_NAME);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs("something else entirely\n", f);
        fclose(f);
        assert_int_equal(spool_open(&s, dir, true), -EBADMSG);
        unlink(path);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_not_a_spool),
        };
        char cmd[64];
        int r;

        if (!mkdtemp(dir))
                return 1;
        r = cmocka_run_group_tests(tests, NULL, NULL);
        (void) snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                r = 1;
        return r;
}
