/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What this machine charges for the kernel work a PAM module causes: one
 * system call and one page fault. On hardware a
 * fault is well under a microsecond; under some hypervisors (paravirtual
 * page tables) it is ten times that, and a login's cost moves with it.
 * Prints key=value, medians of ROUNDS rounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGES 256

static double now_ns(void) {
        struct timespec t;

        (void) clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) t.tv_sec * 1e9 + (double) t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

static double median(double *v, int n) {
        qsort(v, (size_t) n, sizeof(*v), cmp);
        return v[n / 2];
}

int main(int argc, char **argv) {
        int rounds = argc > 1 ? atoi(argv[1]) : 50;
        double *sc, *pf;
        long page = sysconf(_SC_PAGESIZE);

        if (rounds < 1 || rounds > 100000)
                return 2;
        sc = calloc((size_t) rounds, sizeof(double));
        pf = calloc((size_t) rounds, sizeof(double));
        if (!sc || !pf)
                return 1;
        for (int r = 0; r < rounds; r++) {
                double t = now_ns();
                char *p;

                for (int i = 0; i < 1000; i++)
                        (void) getppid();
                sc[r] = (now_ns() - t) / 1000;

                p = mmap(NULL, (size_t) (PAGES * page), PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED)
                        return 1;
                t = now_ns();
                for (int i = 0; i < PAGES; i++)
                        ((volatile char *) p)[(long) i * page] = 1;
                pf[r] = (now_ns() - t) / PAGES;
                (void) munmap(p, (size_t) (PAGES * page));
        }
        printf("syscall_ns=%.0f\nfault_ns=%.0f\n", median(sc, rounds), median(pf, rounds));
        return 0;
}
