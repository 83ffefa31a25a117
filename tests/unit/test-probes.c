/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guardd's parsers and state machines fed by hand: /proc/PID/stat from
 * fixture files (comm with spaces, parentheses and a newline), adoption by
 * name only of root's processes, the host's rates and recent window from
 * fixture /proc files, the bus trackers' state machine, the queue's growth
 * over its window, and the netlink sock_diag parser with a made-up reply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io-util.h"
#include "macro.h"
#include "probe-bus.h"
#include "probe-fs.h"
#include "probe-proc.h"
#include "own-time.h"
#include "sockdiag.h"
#include "user-jobs.h"

#define FIX "tests/fixtures/proc"
#define S UINT64_C(1000000)

static void test_proc_stat(void **state) {
        ProcStat s;

        assert_int_equal(proc_read_stat_at(FIX, 100, &s), 0);
        assert_string_equal(s.comm, "systemd-logind");
        assert_int_equal(s.state, 'S');
        assert_int_equal(s.ticks, 380);
        assert_int_equal(s.rss_pages, 2048);
        assert_int_equal(s.start_ticks, 500); /* field 22 */
        assert_int_equal(proc_read_stat_at(FIX, 101, &s), 0);
        assert_string_equal(s.comm, "a) b (c");
        assert_int_equal(s.state, 'R');
        assert_int_equal(s.ticks, 10);
        assert_int_equal(proc_read_stat_at(FIX, 102, &s), 0);
        assert_string_equal(s.comm, "evil\nname"); /* raw here; sanitized when written */
        assert_int_equal(s.state, 'T');
        assert_int_equal(proc_read_stat_at(FIX, 103, &s), -ESRCH);
        assert_int_equal(proc_parse_stat("1 (x S 1 2", &s), -EINVAL);
        assert_int_equal(proc_parse_stat("1 (x) S", &s), -EINVAL);
}

static void write_stat(const char *dir, int pid, const char *comm, uid_t uid) {
        char path[512];
        FILE *f;

        (void) snprintf(path, sizeof(path), "%s/%d", dir, pid);
        assert_int_equal(mkdir(path, 0755), 0);
        assert_int_equal(chown(path, uid, uid), 0);
        (void) snprintf(path, sizeof(path), "%s/%d/stat", dir, pid);
        f = fopen(path, "we");
        assert_non_null(f);
        fprintf(f, "%d (%s) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 1 1 1 0\n", pid, comm);
        fclose(f);
}

/* Anybody can call a process "systemd-logind": only root's are adopted. */
static void test_find_by_comm_root_only(void **state) {
        static const char *const comms[] = { "systemd-logind", NULL };
        char dir[] = "/tmp/test-probes.XXXXXX", cmd[64];

        if (geteuid() != 0)
                skip();
        assert_non_null(mkdtemp(dir));
        write_stat(dir, 200, "systemd-logind", 65534); /* a user's impostor, lower pid */
        write_stat(dir, 300, "systemd-logind", 0);
        assert_int_equal(proc_find_by_comm_at(dir, comms), 300);
        (void) snprintf(cmd, sizeof(cmd), "rm -rf %s/300", dir);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(proc_find_by_comm_at(dir, comms), 0);
        (void) snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
}

static void test_host_rates_and_window(void **state) {
        HostStats h = { .stat_path = FIX "/stat-a", .mountinfo_path = FIX "/mountinfo",
                        .mountinfo_fd = -1, .mounts_changed = true };

        host_stats_sample(&h, 10 * S, 0, true);
        assert_int_equal(h.mounts, 3);
        h.stat_path = FIX "/stat-b";
        h.mount_events = 40;
        host_stats_sample(&h, 11 * S, 690, false);
        assert_int_equal(h.forks_per_s, 500);
        assert_int_equal(h.mount_changes_per_s, 40);
        assert_int_equal(h.jobs_per_s, 690);
        /* A bulk unmount seen in the window: 8,003 mounts down to 3. */
        h.hist[0].mounts = 8003;
        host_stats_window(&h, 11 * S);
        assert_int_equal(h.mounts_delta, -8000);
        assert_int_equal(h.mount_changes, 40);
        assert_int_equal(h.jobs, 690);
        /* Outside the 30 s window, history no longer counts. */
        host_stats_sample(&h, 60 * S, 690, false);
        assert_int_equal(h.mounts_delta, 0);
        assert_int_equal(h.jobs, 0);
}

/* Mounted and detached within one window: the net change is zero, but PID 1
 * has 8,000 unmounts to work through (incident 3 on the real stack). */
static void test_host_window_peak(void **state) {
        HostStats h = { 0 };
        const uint64_t counts[] = { 3, 4000, 8003, 3 };

        for (unsigned i = 0; i < ELEMENTSOF(counts); i++)
                h.hist[i] = (HostSample){ .usec = (10 + i) * S, .mounts = counts[i] };
        h.hist_n = h.hist_next = ELEMENTSOF(counts);
        host_stats_window(&h, 13 * S);
        assert_int_equal(h.mounts_delta, -8000);
        /* Still rising: the trough counts. */
        h.hist_n = h.hist_next = 3;
        host_stats_window(&h, 12 * S);
        assert_int_equal(h.mounts_delta, 8000);
}

/* What PID 1 is still working through: from its last quiet round on. The
 * quiet round before the fall holds the count before it; a quiet round
 * after the fall means the unmounts are done (incident 4 ten seconds
 * after incident 3 is a respawn loop, not 8,000 unmounts). */
static void test_host_window_busy(void **state) {
        HostStats h = { 0 };
        const uint64_t counts[] = { 8003, 8003, 3, 3, 3 };
        const bool quiet[] = { true, true, false, false, true };

        for (unsigned i = 0; i < ELEMENTSOF(counts); i++)
                h.hist[i] = (HostSample){ .usec = (10 + i) * S, .mounts = counts[i],
                                          .mount_events = i >= 2 ? 8000 : 0, .quiet = quiet[i] };
        /* Busy since the fall: all of it is still being worked through. */
        h.hist_n = h.hist_next = 4;
        host_stats_window(&h, 13 * S);
        assert_int_equal(h.mounts_delta, -8000);
        assert_int_equal(h.busy_mounts_delta, -8000);
        assert_int_equal(h.busy_mount_changes, 8000);
        /* Quiet now, then busy again with something else: nothing left. */
        h.hist[5] = (HostSample){ .usec = 15 * S, .mounts = 3, .mount_events = 8000 };
        h.hist_n = h.hist_next = 6;
        host_stats_window(&h, 15 * S);
        assert_int_equal(h.mounts_delta, -8000);
        assert_int_equal(h.busy_mounts_delta, 0);
        assert_int_equal(h.busy_mount_changes, 0);
        /* A quiet newest round does not end its own run. */
        h.hist_n = h.hist_next = 5;
        host_stats_window(&h, 14 * S);
        assert_int_equal(h.busy_mounts_delta, -8000);
}

static void test_service_state_machine(void **state) {
        ServiceProbe s = { .state = SVC_UNKNOWN };

        assert_int_equal(service_judge(BUS_DOWN, &s, 10 * S, 0, S, 250000), SVC_UNKNOWN);
        s.owner = (Call){ .answered = true, .error = -ENXIO };
        assert_int_equal(service_judge(BUS_OK, &s, 10 * S, 0, S, 250000), SVC_ABSENT);
        s.owner = (Call){ .answered = true };
        s.ping = (Call){ .answered = true };
        s.ping_usec = 900;
        assert_int_equal(service_judge(BUS_OK, &s, 10 * S, 0, S, 250000), SVC_OK);
        s.ping_usec = 300000;
        assert_int_equal(service_judge(BUS_OK, &s, 10 * S, 0, S, 250000), SVC_SLOW);
        s.ping = (Call){ .answered = true, .error = -ETIMEDOUT };
        assert_int_equal(service_judge(BUS_OK, &s, 10 * S, 0, S, 250000), SVC_STUCK);
        /* Unanswered and past the deadline: stuck without waiting for the bus's timeout. */
        s.ping = (Call){ .slot = (sd_bus_slot *) 1, .started_usec = 8 * S };
        assert_int_equal(service_judge(BUS_OK, &s, 10 * S, 0, S, 250000), SVC_STUCK);
        /* Past the deadline, but guardd lost 1.5 s of the 2 to its own work
         * or to waiting for a CPU: its lateness, not the peer's: no verdict. */
        s.state = SVC_OK;
        s.ping.lost_at_start = 100000;
        assert_int_equal(service_judge(BUS_OK, &s, 10 * S, 1600000, S, 250000), SVC_OK);
        /* Lost a quarter of the deadline or less: judged. */
        assert_int_equal(service_judge(BUS_OK, &s, 10 * S, 350000, S, 250000), SVC_STUCK);
        s.ping.lost_at_start = 0;
        /* Unanswered within the deadline: no new verdict. */
        s.state = SVC_OK;
        s.ping.started_usec = 9800000;
        assert_int_equal(service_judge(BUS_OK, &s, 10 * S, 0, S, 250000), SVC_OK);
        s.ping.slot = NULL;
}

static void test_own_time(void **state) {
        /* 1 s since the call, 300 ms of it guardd's own: 700 ms attended. */
        assert_int_equal(own_attended_usec(S, 5000, 305000, 2 * S), 700000);
        /* Lost more than elapsed (both clocks sampled apart): 0, not a wrap. */
        assert_int_equal(own_attended_usec(S, 0, 3 * S, 2 * S), 0);
        assert_false(own_deadline_passed(S, 0, 0, 2 * S - 1, S)); /* never before the deadline */
        assert_true(own_deadline_passed(S, 0, 250000, 2 * S, S));
        assert_false(own_deadline_passed(S, 0, 250001, 2 * S, S));
        assert_true(own_deadline_passed(S, 0, 250001, 3 * S, S)); /* attended long enough later */
        /* The kernel says something for this thread, and it grows while the
         * thread runs. It is updated at the scheduler's ticks, not at each
         * read: a short loop can fall between two (seen in a package build),
         * so spin until it moved, for 2 s at most. */
        uint64_t a = own_lost_usec(), t0 = now_usec(CLOCK_MONOTONIC), b = a;
        if (a == 0)
                skip(); /* no schedstat here: guardd then discounts nothing */
        while (b <= a && now_usec(CLOCK_MONOTONIC) - t0 < 2 * S)
                b = own_lost_usec();
        assert_true(b > a);
}

static void test_queue_growth(void **state) {
        uint64_t usec[QUEUE_HISTORY] = {}, bytes[QUEUE_HISTORY] = {};
        unsigned n = 0, next = 0;

        /* 0 -> 12 MB over 40 rounds a second apart. */
        for (unsigned i = 0; i < 40; i++) {
                usec[next] = (100 + i) * S;
                bytes[next] = (uint64_t) i * 300000;
                next = (next + 1) % QUEUE_HISTORY;
                n++;
        }
        assert_int_equal(queue_growth_over(usec, bytes, n, next, 139 * S, 30 * S), 30 * 300000);
        assert_int_equal(queue_growth_over(usec, bytes, 0, 0, 139 * S, 30 * S), 0);
}

static size_t put_attr(char *p, unsigned short type, const void *data, size_t len) {
        struct rtattr *a = (struct rtattr *) p;

        a->rta_type = type;
        a->rta_len = (unsigned short) RTA_LENGTH(len);
        memcpy(RTA_DATA(a), data, len);
        return RTA_ALIGN(a->rta_len);
}

static void test_sockdiag_parse(void **state) {
        char buf[1024] __attribute__((aligned(NLMSG_ALIGNTO))) = {};
        struct nlmsghdr *h = (struct nlmsghdr *) buf;
        struct unix_diag_msg *m = NLMSG_DATA(h);
        struct unix_diag_vfs vfs = { .udiag_vfs_ino = 777, .udiag_vfs_dev = 0x800001 };
        struct unix_diag_rqlen rq = { .udiag_rqueue = 31, .udiag_wqueue = 0 };
        uint32_t peer = 4242;
        UnixSockTable t = {};
        size_t off, n;
        char *p;

        m->udiag_family = AF_UNIX;
        m->udiag_type = SOCK_DGRAM;
        m->udiag_ino = 1234;
        p = (char *) (m + 1);
        off = put_attr(p, UNIX_DIAG_NAME, "/dev/log", 8);
        off += put_attr(p + off, UNIX_DIAG_VFS, &vfs, sizeof(vfs));
        off += put_attr(p + off, UNIX_DIAG_PEER, &peer, sizeof(peer));
        off += put_attr(p + off, UNIX_DIAG_RQLEN, &rq, sizeof(rq));
        h->nlmsg_len = (uint32_t) NLMSG_LENGTH(sizeof(*m) + off);
        h->nlmsg_type = SOCK_DIAG_BY_FAMILY;
        n = NLMSG_ALIGN(h->nlmsg_len);
        ((struct nlmsghdr *) (buf + n))->nlmsg_len = NLMSG_LENGTH(sizeof(int));
        ((struct nlmsghdr *) (buf + n))->nlmsg_type = NLMSG_DONE;
        n += NLMSG_ALIGN(NLMSG_LENGTH(sizeof(int)));

        assert_int_equal(sockdiag_parse_batch(buf, n, &t), 1);
        assert_int_equal(t.n, 1);
        assert_int_equal(t.socks[0].ino, 1234);
        assert_int_equal(t.socks[0].peer, 4242);
        assert_int_equal(t.socks[0].vfs_ino, 777);
        assert_string_equal(t.socks[0].path, "/dev/log");
        assert_true(t.socks[0].named);
        assert_int_equal(t.socks[0].rqueue, 31); /* something queued */
        assert_int_equal(t.socks[0].type, SOCK_DGRAM);
        assert_ptr_equal(sockdiag_find_ino(&t, 1234), &t.socks[0]);
        assert_null(sockdiag_find_ino(&t, 1));
        /* An error reply is an error, a short message is skipped. */
        h->nlmsg_type = NLMSG_ERROR;
        assert_int_equal(sockdiag_parse_batch(buf, n, &t), -EIO);
        sockdiag_table_done(&t);
}

/* Which units are one user's, whose uid they hold, and the user's name
 * from passwd text: only a plain name is shown. */
static void test_user_jobs(void **state) {
        static const char pw[] = "root:x:0:0:root:/root:/bin/bash\n"
                                 "bad:name:x:1001:1001::/:/bin/sh\n"
                                 "evil\x1b[2J:x:1002:1002::/:/bin/sh\n"
                                 "alice:x:1000:1000:Alice:/home/alice:/bin/bash";
        char dir[] = "/tmp/lg-userjobs.XXXXXX", path[64], name[64];
        uint32_t uid = 0;
        FILE *f;

        assert_true(user_job_unit("user@1000.service"));
        assert_true(user_job_unit("user-runtime-dir@0.service"));
        assert_true(user_job_unit("session-c3.scope"));
        assert_false(user_job_unit("user.slice"));
        assert_false(user_job_unit("user@.service"));
        assert_false(user_job_unit("sshd.service"));
        assert_int_equal(user_job_uid("user@1000.service", "/nonexistent", &uid), 0);
        assert_int_equal(uid, 1000);
        assert_int_equal(user_job_uid("user-runtime-dir@42.service", "/nonexistent", &uid), 0);
        assert_int_equal(uid, 42);
        assert_true(user_job_uid("user@x.service", "/nonexistent", &uid) < 0);
        assert_non_null(mkdtemp(dir));
        (void) snprintf(path, sizeof(path), "%s/c3", dir);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs("# This is private data. Do not parse.\nUID=1001\nUSER=bob\n", f);
        fclose(f);
        assert_int_equal(user_job_uid("session-c3.scope", dir, &uid), 0);
        assert_int_equal(uid, 1001);
        assert_true(user_job_uid("session-..%2f.scope", dir, &uid) < 0);
        assert_true(user_job_uid("session-c9.scope", dir, &uid) < 0);
        (void) unlink(path);
        (void) rmdir(dir);

        assert_true(passwd_name_of(pw, sizeof(pw) - 1, 1000, name, sizeof(name)));
        assert_string_equal(name, "alice");
        assert_true(passwd_name_of(pw, sizeof(pw) - 1, 0, name, sizeof(name)));
        assert_string_equal(name, "root");
        assert_false(passwd_name_of(pw, sizeof(pw) - 1, 1002, name, sizeof(name)));
        assert_false(passwd_name_of(pw, sizeof(pw) - 1, 4242, name, sizeof(name)));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_proc_stat),
                cmocka_unit_test(test_find_by_comm_root_only),
                cmocka_unit_test(test_host_rates_and_window),
                cmocka_unit_test(test_host_window_peak),
                cmocka_unit_test(test_host_window_busy),
                cmocka_unit_test(test_service_state_machine),
                cmocka_unit_test(test_queue_growth),
                cmocka_unit_test(test_sockdiag_parse),
                cmocka_unit_test(test_own_time),
                cmocka_unit_test(test_user_jobs),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
