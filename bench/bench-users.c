/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-user breakers with many users (issue 23): the decision path's cost
 * for a user without a breaker file and for one with an open one, with
 * USERS per-user files in the directory, against the path on a host whose
 * breaker file does not exist (what every healthy host runs); the scan a
 * user-scoped cut makes (distinct users stuck); and the files' size.
 * Prints one "key=value" line per figure, medians and p99 in microseconds.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "breaker.h"
#include "io-util.h"
#include "parse-util.h"

static const BreakerParams params = { .trip = 2,
                                      .window_usec = 60 * UINT64_C(1000000),
                                      .cooldown_usec = 600 * UINT64_C(1000000),
                                      .trial_timeout_usec = 30 * UINT64_C(1000000) };

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

/* What the module does before the call: the host's breaker, then (only
 * when the host's file exists) the user's. */
static BreakerVerdict decide(const char *state_dir, const char *user) {
        BreakerVerdict v;
        Breaker host, mine = { .dir_fd = -EBADF, .map.fd = -EBADF };

        if (breaker_open(&host, state_dir, "pam_systemd", true, 0) < 0)
                return BREAKER_CALL;
        v = breaker_decide(&host, &params, now_usec(CLOCK_MONOTONIC));
        if (v == BREAKER_CALL && host.exists && user &&
            breaker_open_user(&mine, &host, "pam_systemd", user, false) == 0)
                v = breaker_decide(&mine, &params, now_usec(CLOCK_MONOTONIC));
        breaker_close(&mine);
        breaker_close(&host);
        return v;
}

static void measure(const char *what, const char *state_dir, const char *user, uint64_t n) {
        uint64_t *t = calloc(n, sizeof(*t));

        if (!t)
                exit(1);
        for (uint64_t i = 0; i < 1000; i++)
                (void) decide(state_dir, user);
        for (uint64_t i = 0; i < n; i++) {
                uint64_t t0 = now_usec(CLOCK_MONOTONIC);
                (void) decide(state_dir, user);
                t[i] = now_usec(CLOCK_MONOTONIC) - t0;
        }
        qsort(t, n, sizeof(*t), cmp_u64);
        printf("%s_median_us=%llu\n%s_p99_us=%llu\n", what, (unsigned long long) t[n / 2], what,
               (unsigned long long) t[n * 99 / 100]);
        free(t);
}

/* N users with a cut each; user 0's breaker open. */
static void populate(const char *state_dir, unsigned users) {
        Breaker host;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        char name[32];

        if (breaker_open(&host, state_dir, "pam_systemd", true, 0) < 0)
                exit(1);
        breaker_count(&host, OUTCOME_CUT, now); /* the host's file exists, closed */
        for (unsigned i = 0; i < users; i++) {
                Breaker u;

                (void) snprintf(name, sizeof(name), "user%u", i);
                if (breaker_open_user(&u, &host, "pam_systemd", name, true) < 0)
                        exit(1);
                breaker_record(&u, &params, now, OUTCOME_CUT);
                if (i == 0)
                        breaker_record(&u, &params, now, OUTCOME_CUT);
                breaker_close(&u);
        }
        breaker_close(&host);
}

static unsigned long long users_dir_kib(const char *state_dir) {
        char path[512];
        struct stat st;
        unsigned long long blocks = 0;
        DIR *d;

        (void) snprintf(path, sizeof(path), "%s/users", state_dir);
        d = opendir(path);
        if (!d)
                return 0;
        for (struct dirent *de; (de = readdir(d));)
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISREG(st.st_mode))
                        blocks += (unsigned long long) st.st_blocks;
        (void) closedir(d);
        return blocks / 2;
}

int main(int argc, char **argv) {
        uint64_t users = 10000, n = 20000, t0;
        char empty[256];
        Breaker host, mine = { .dir_fd = -EBADF, .map.fd = -EBADF };
        unsigned stuck;

        if (argc < 2 || (argc > 2 && parse_u64(argv[2], &users) < 0) ||
            (argc > 3 && parse_u64(argv[3], &n) < 0) || n == 0) {
                fprintf(stderr, "usage: bench-users STATE_DIR [USERS] [ITERATIONS]\n");
                return 2;
        }
        (void) snprintf(empty, sizeof(empty), "%s/empty", argv[1]);
        if (mkdir(argv[1], 0755) < 0 || mkdir(empty, 0755) < 0)
                return 1;
        measure("no_breaker_file", empty, "alice", n);
        populate(argv[1], (unsigned) users);
        printf("users=%llu\nusers_dir_kib=%llu\nrecord_bytes=%zu\n", (unsigned long long) users,
               users_dir_kib(argv[1]), sizeof(BreakerRecord));
        measure("host_file_no_user_lookup", argv[1], NULL, n);
        measure("user_without_file", argv[1], "alice", n);
        measure("user_with_open_breaker", argv[1], "user0", n);
        if (decide(argv[1], "user0") != BREAKER_SKIP)
                return 1; /* the figure would measure the wrong path */
        if (breaker_open(&host, argv[1], "pam_systemd", true, 0) < 0 ||
            breaker_open_user(&mine, &host, "pam_systemd", "user0", false) < 0)
                return 1;
        t0 = now_usec(CLOCK_MONOTONIC);
        stuck = breaker_users_stuck(&mine, "pam_systemd", &params, now_usec(CLOCK_MONOTONIC), 3);
        printf("cut_scan_until_3_us=%llu\n", (unsigned long long) (now_usec(CLOCK_MONOTONIC) - t0));
        t0 = now_usec(CLOCK_MONOTONIC);
        stuck = breaker_users_stuck(&mine, "pam_systemd", &params, now_usec(CLOCK_MONOTONIC),
                                    (unsigned) users + 1);
        printf("cut_scan_all_us=%llu\nstuck_users=%u\n",
               (unsigned long long) (now_usec(CLOCK_MONOTONIC) - t0), stuck);
        breaker_close(&mine);
        breaker_close(&host);
        return 0;
}
