/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * System calls for the watchdog thread. That thread is made with clone()
 * and shares the calling thread's TLS (see guard.c), so it must not touch
 * errno or anything else thread-local: these wrappers issue the system
 * call directly and return -errno. Where no such wrapper exists for the
 * architecture, RAW_SYSCALLS is 0 and the watchdog is a pthread instead.
 */
#pragma once

#include <stdint.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define RAW_SYSCALLS 1
static inline long raw_syscall6(long n, long a, long b, long c, long d, long e, long f) {
        register long r10 __asm__("r10") = d;
        register long r8 __asm__("r8") = e;
        register long r9 __asm__("r9") = f;
        long ret;

        __asm__ volatile("syscall"
                         : "=a"(ret)
                         : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                         : "rcx", "r11", "memory");
        return ret;
}
#elif defined(__aarch64__)
#define RAW_SYSCALLS 1
static inline long raw_syscall6(long n, long a, long b, long c, long d, long e, long f) {
        register long x8 __asm__("x8") = n;
        register long x0 __asm__("x0") = a;
        register long x1 __asm__("x1") = b;
        register long x2 __asm__("x2") = c;
        register long x3 __asm__("x3") = d;
        register long x4 __asm__("x4") = e;
        register long x5 __asm__("x5") = f;

        __asm__ volatile("svc 0"
                         : "+r"(x0)
                         : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                         : "memory");
        return x0;
}
#else
#define RAW_SYSCALLS 0
#include <errno.h>
#include <unistd.h>
/* A pthread watchdog has its own errno: the libc wrapper is safe there. */
static inline long raw_syscall6(long n, long a, long b, long c, long d, long e, long f) {
        long r = syscall(n, a, b, c, d, e, f);
        return r < 0 ? -errno : r;
}
#endif

#define RAW(n, a, b, c, d, e, f) \
        raw_syscall6((long) (n), (long) (a), (long) (b), (long) (c), (long) (d), (long) (e), \
                     (long) (f))

static inline int raw_openat(int dir_fd, const char *path, int flags) {
        return (int) RAW(SYS_openat, dir_fd, path, flags, 0, 0, 0);
}

static inline long raw_read(int fd, void *buf, unsigned long len) {
        return RAW(SYS_read, fd, buf, len, 0, 0, 0);
}

static inline long raw_pread(int fd, void *buf, unsigned long len, long off) {
        return RAW(SYS_pread64, fd, buf, len, off, 0, 0);
}

static inline void raw_close(int fd) {
        (void) RAW(SYS_close, fd, 0, 0, 0, 0, 0);
}

static inline long raw_getdents64(int fd, void *buf, unsigned long len) {
        return RAW(SYS_getdents64, fd, buf, len, 0, 0, 0);
}

static inline int raw_shutdown(int fd, int how) {
        return (int) RAW(SYS_shutdown, fd, how, 0, 0, 0, 0);
}

static inline int raw_getpeername(int fd, void *addr, unsigned *len) {
        return (int) RAW(SYS_getpeername, fd, addr, len, 0, 0, 0);
}

static inline int raw_clock_monotonic(uint64_t *ret_usec) {
        struct {
                long sec, nsec;
        } ts = {}; /* filled by the kernel, which analyzers cannot see */
        long r = RAW(SYS_clock_gettime, 1 /* CLOCK_MONOTONIC */, &ts, 0, 0, 0, 0);

        if (r < 0)
                return (int) r;
        *ret_usec = (uint64_t) ts.sec * 1000000U + (uint64_t) ts.nsec / 1000U;
        return 0;
}

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/stat.h>

/* The kernel's struct stat is glibc's on the 64-bit architectures above. */
static inline int raw_fstat(int fd, struct stat *st) {
        return (int) RAW(SYS_newfstatat, fd, "", st, AT_EMPTY_PATH, 0, 0);
}

static inline int raw_fstatat(int dir_fd, const char *name, struct stat *st) {
        return (int) RAW(SYS_newfstatat, dir_fd, name, st, AT_SYMLINK_NOFOLLOW, 0, 0);
}

/* Sleeps while *addr == val, until CLOCK_MONOTONIC reaches abs_usec. */
static inline int raw_futex_wait_until(uint32_t *addr, uint32_t val, uint64_t abs_usec) {
        struct {
                long sec, nsec;
        } ts = { (long) (abs_usec / 1000000U), (long) (abs_usec % 1000000U) * 1000L };

        return (int) RAW(SYS_futex, addr, FUTEX_WAIT_BITSET, val, &ts, 0, FUTEX_BITSET_MATCH_ANY);
}

static inline int raw_futex_wait(uint32_t *addr, uint32_t val) {
        return (int) RAW(SYS_futex, addr, FUTEX_WAIT, val, 0, 0, 0);
}

static inline void raw_futex_wake(uint32_t *addr) {
        (void) RAW(SYS_futex, addr, FUTEX_WAKE, 1, 0, 0, 0);
}
