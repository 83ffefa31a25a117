/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What this machine charges for the kernel work a PAM module causes: one
 * system call and one page fault. On hardware a
 * fault is well under a microsecond; under some hypervisors (paravirtual
 * page tables) it is ten times that, and a login's cost moves with it.
 * Prints key=value, medians of ROUNDS rounds.
 *
 * With FILE (a shared object, say), also what mapping its pages costs a
 * new process, as a login's process maps pam_systemd and libsystemd: a
 * byte read every 16 pages (one fault each; the kernel maps the pages
 * around a faulting one), against MADV_POPULATE_READ of the whole file
 * first (one call, no faults), in a forked child each round. Written to
 * see whether populating a module's pages in one call is cheaper than
 * faulting them in (docs/BENCHMARKS.md, fifteenth session).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGES 256
#define STRIDE 16
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif

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

/* In a new process: map @fd's @len bytes, optionally populate them, then
 * read a byte every STRIDE pages. Microseconds, or -1. */
static double touch_file(int fd, size_t len, long page, int populate) {
        double *out = mmap(NULL, sizeof(double), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        double us = -1;
        pid_t pid;

        if (out == MAP_FAILED)
                return -1;
        *out = -1;
        pid = fork();
        if (pid == 0) {
                char *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
                double t = now_ns();
                long sum = 0;

                if (m == MAP_FAILED)
                        _exit(1);
                if (populate && madvise(m, len, MADV_POPULATE_READ) < 0)
                        _exit(1);
                for (size_t o = 0; o < len; o += (size_t) (STRIDE * page))
                        sum += ((volatile char *) m)[o];
                *out = (now_ns() - t) / 1000;
                _exit(sum == 1);
        }
        if (pid > 0 && waitpid(pid, NULL, 0) == pid)
                us = *out;
        (void) munmap(out, sizeof(double));
        return us;
}

/* FILE's two figures: faulted in, and populated first. */
static int file_costs(const char *path, int rounds, long page) {
        double *ft = calloc((size_t) rounds, sizeof(double)), *pp = calloc((size_t) rounds, sizeof(double));
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        size_t len;

        if (!ft || !pp || fd < 0 || fstat(fd, &st) < 0 || st.st_size < page)
                return 1;
        len = (size_t) st.st_size / (size_t) page * (size_t) page;
        for (int r = 0; r < rounds; r++) {
                ft[r] = touch_file(fd, len, page, 0);
                pp[r] = touch_file(fd, len, page, 1);
                if (ft[r] < 0 || pp[r] < 0)
                        return 1;
        }
        printf("file_pages=%zu\nfile_faulted_us=%.1f\nfile_populated_us=%.1f\n", len / (size_t) page,
               median(ft, rounds), median(pp, rounds));
        return 0;
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
        return argc > 2 ? file_costs(argv[2], rounds, page) : 0;
}
