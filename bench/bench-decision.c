/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The module's decision path alone, as it runs on every login: read and
 * check guardd's status, then ask the breaker. Prints median and p99 in
 * microseconds over many iterations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../pam_module/breaker.h"
#include "io-util.h"
#include "parse-util.h"
#include "status.h"

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static void decide_once(const char *status_path, const BreakerFile *bf, const Config *c) {
        Status *s = NULL;
        BreakerVerdict v;

        if (status_read(status_path, 0, &s, NULL) == 0 &&
            status_check_fresh(s, now_usec(CLOCK_MONOTONIC), c->max_age_usec, NULL) == 0)
                (void) status_get(s, "LOGIN1_ACTION");
        status_free(s);
        (void) breaker_decide(bf, c, now_usec(CLOCK_MONOTONIC), &v);
}

int main(int argc, char **argv) {
        uint64_t n = 20000, *t;
        BreakerFile bf;
        Config c;

        if (argc < 3 || (argc > 3 && parse_u64(argv[3], &n) < 0) || n == 0) {
                fprintf(stderr, "usage: bench-decision STATUS_PATH STATE_DIR [ITERATIONS]\n");
                return 2;
        }
        config_init(&c);
        if (breaker_file_open(argv[2], "pam_systemd", &bf) < 0)
                return 1;
        t = calloc(n, sizeof(*t));
        if (!t)
                return 1;
        for (uint64_t i = 0; i < 1000; i++) /* warm caches */
                decide_once(argv[1], &bf, &c);
        for (uint64_t i = 0; i < n; i++) {
                uint64_t t0 = now_usec(CLOCK_MONOTONIC);
                decide_once(argv[1], &bf, &c);
                t[i] = now_usec(CLOCK_MONOTONIC) - t0;
        }
        qsort(t, n, sizeof(*t), cmp_u64);
        printf("iterations=%llu median_usec=%llu p99_usec=%llu max_usec=%llu\n",
               (unsigned long long) n, (unsigned long long) t[n / 2],
               (unsigned long long) t[n * 99 / 100], (unsigned long long) t[n - 1]);
        free(t);
        breaker_file_close(&bf);
        return 0;
}
