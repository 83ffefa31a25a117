/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The module's decision path alone, as it runs on every login: read and
 * check guardd's status (the non-allocating view), look at PID 1, then ask
 * the breaker. Prints median and p99 in microseconds over many iterations.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "breaker.h"
#include "evidence.h"
#include "config.h"
#include "io-util.h"
#include "parse-util.h"
#include "status.h"

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static void decide_once(const char *status_path, const char *state_dir, const Config *c) {
        char buf[STATUS_MAX_SIZE + 2], action[16], stat[512];
        const BreakerParams p = { .trip = c->trip, .window_usec = c->window_usec,
                                  .cooldown_usec = c->cooldown_usec,
                                  .trial_timeout_usec = 2 * c->patience_usec };
        StatusView v;
        Breaker b;
        size_t len;

        if (read_trusted_file_into(AT_FDCWD, status_path, 0, buf, sizeof(buf), &len) == 0 &&
            status_view_parse(buf, len, &v, NULL) == 0 &&
            status_view_check_fresh(&v, now_usec(CLOCK_MONOTONIC), c->max_age_usec) == 0)
                (void) status_view_get(&v, "LOGIN1_ACTION", action, sizeof(action));
        (void) evidence_pid1_stopped(stat, sizeof(stat));
        if (breaker_open(&b, state_dir, "pam_systemd", true, 0) == 0)
                (void) breaker_decide(&b, &p, now_usec(CLOCK_MONOTONIC));
        breaker_close(&b);
}

int main(int argc, char **argv) {
        uint64_t n = 20000, *t;
        Config c;

        if (argc < 3 || (argc > 3 && parse_u64(argv[3], &n) < 0) || n == 0) {
                fprintf(stderr, "usage: bench-decision STATUS_PATH STATE_DIR [ITERATIONS]\n");
                return 2;
        }
        config_init(&c);
        t = calloc(n, sizeof(*t));
        if (!t)
                return 1;
        for (uint64_t i = 0; i < 1000; i++) /* warm caches */
                decide_once(argv[1], argv[2], &c);
        for (uint64_t i = 0; i < n; i++) {
                uint64_t t0 = now_usec(CLOCK_MONOTONIC);
                decide_once(argv[1], argv[2], &c);
                t[i] = now_usec(CLOCK_MONOTONIC) - t0;
        }
        qsort(t, n, sizeof(*t), cmp_u64);
        printf("iterations=%llu median_usec=%llu p99_usec=%llu max_usec=%llu\n",
               (unsigned long long) n, (unsigned long long) t[n / 2],
               (unsigned long long) t[n * 99 / 100], (unsigned long long) t[n - 1]);
        free(t);
        return 0;
}
