/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cleanup attributes and ownership helpers shared by every part of
 * loginguard, in the shape systemd and dbus-broker use, so that error paths
 * cannot leak memory or file descriptors inside sshd, su or cron.
 */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)
#define NSEC_PER_USEC UINT64_C(1000)

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(const int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                (void) close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                (void) fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Defines xxx_freep() for _cleanup_(xxx_freep) from a NULL-safe xxx_free(). */
#define DEFINE_CLEANUP(type, func) \
        static inline void func##p(type *p) { \
                if (*p) \
                        (void) func(*p); \
        }

#define TAKE_PTR(p) \
        ({ \
                __typeof__(p) _take = (p); \
                (p) = NULL; \
                _take; \
        })

#define TAKE_FD(fd) \
        ({ \
                int _take = (fd); \
                (fd) = -EBADF; \
                _take; \
        })

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
