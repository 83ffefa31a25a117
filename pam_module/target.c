/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loading the wrapped module. Handles are cached for the life of the
 * process and never dlclose()d: pam_systemd links libsystemd, whose
 * destructors and thread-locals must not run while its data may still be
 * referenced from PAM data on a live handle. This module is linked with
 * -z nodelete (Makefile), so libpam's dlclose() at pam_end leaves it, and
 * this cache, in place: a process that runs many PAM transactions loads
 * each target once.
 */
#include "target.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

#define TARGET_CACHE_MAX 8

/* The path on the heap, not in the array: a 4 KiB array in .bss pushed
 * the module's other statics onto a page of their own, one more page
 * fault for every login (10-15 us where faults are dear, docs/BENCHMARKS.md). */
typedef struct TargetCache {
        char *path;
        void *handle;
} TargetCache;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static TargetCache cache[TARGET_CACHE_MAX];

static const char *const entry_names[_EP_MAX] = {
        [EP_AUTHENTICATE] = "pam_sm_authenticate",   [EP_SETCRED] = "pam_sm_setcred",
        [EP_ACCT_MGMT] = "pam_sm_acct_mgmt",         [EP_OPEN_SESSION] = "pam_sm_open_session",
        [EP_CLOSE_SESSION] = "pam_sm_close_session", [EP_CHAUTHTOK] = "pam_sm_chauthtok",
};

const char *entry_point_to_string(EntryPoint ep) {
        return ep >= 0 && ep < _EP_MAX ? entry_names[ep] : NULL;
}

/**
 * entry_point_type() - the PAM management group of @ep, as pam_syslog()
 * names it in "module(service:type)".
 * @ep: entry point
 *
 * Return: "auth", "account", "session" or "password".
 */
const char *entry_point_type(EntryPoint ep) {
        static const char *const types[_EP_MAX] = {
                [EP_AUTHENTICATE] = "auth",      [EP_SETCRED] = "auth",
                [EP_ACCT_MGMT] = "account",      [EP_OPEN_SESSION] = "session",
                [EP_CLOSE_SESSION] = "session",  [EP_CHAUTHTOK] = "password",
        };

        return ep >= 0 && ep < _EP_MAX ? types[ep] : "?";
}

/**
 * target_resolve() - turn a wrap= value into an absolute path.
 * @wrap: "pam_systemd.so" or "/abs/path.so"
 * @self_symbol: any symbol of this module, to find the directory it was
 *               loaded from
 * @ret: buffer for the path
 * @size: its size
 *
 * Return: 0, -EINVAL for an empty or relative-with-slash name,
 * -ENAMETOOLONG, -ENOENT when our own directory cannot be found.
 */
int target_resolve(const char *wrap, const void *self_symbol, char *ret, size_t size) {
        Dl_info info = {};
        const char *slash;
        int n;

        if (!wrap || !*wrap)
                return -EINVAL;
        if (wrap[0] == '/')
                n = snprintf(ret, size, "%s", wrap);
        else {
                if (strchr(wrap, '/'))
                        return -EINVAL;
                if (dladdr(self_symbol, &info) == 0 || !info.dli_fname)
                        return -ENOENT;
                slash = strrchr(info.dli_fname, '/');
                if (!slash)
                        return -ENOENT;
                n = snprintf(ret, size, "%.*s/%s", (int) (slash - info.dli_fname), info.dli_fname,
                             wrap);
        }
        if (n < 0 || (size_t) n >= size)
                return -ENAMETOOLONG;
        return 0;
}

/* A module anybody but root can replace would run as root in every login. */
static int check_trusted(const char *path) {
        struct stat st;

        if (lstat(path, &st) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode) && stat(path, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
                return -EPERM;
        return 0;
}

static void *cache_find(const char *path) {
        for (size_t i = 0; i < TARGET_CACHE_MAX; i++)
                if (cache[i].handle && strcmp(cache[i].path, path) == 0)
                        return cache[i].handle;
        return NULL;
}

static void cache_store(const char *path, void *handle) {
        for (size_t i = 0; i < TARGET_CACHE_MAX; i++)
                if (!cache[i].handle) {
                        cache[i].path = strdup(path);
                        if (cache[i].path)
                                cache[i].handle = handle;
                        return;
                }
        /* Full, or no memory: the handle stays loaded anyway (dlopen
         * refcount), only uncached. */
}

static int load_handle(const char *path, void **ret) {
        void *h;
        int r;

        h = cache_find(path);
        if (!h) {
                r = check_trusted(path);
                if (r < 0)
                        return r;
                h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
                if (!h)
                        return -ELIBBAD;
                cache_store(path, h);
        }
        *ret = h;
        return 0;
}

/**
 * target_load() - the entry point @ep of the module at @path.
 * @path: absolute path
 * @ep: which entry point
 * @ret: the function, or NULL when the module does not export it
 *
 * Return: 0; -ENOENT missing; -EBADF not a regular file; -EPERM not
 * root-owned or writable by others; -ELIBBAD dlopen() failed.
 */
int target_load(const char *path, EntryPoint ep, pam_sm_fn *ret) {
        void *h = NULL, *sym;
        int r;

        (void) pthread_mutex_lock(&cache_lock);
        r = load_handle(path, &h);
        (void) pthread_mutex_unlock(&cache_lock);
        if (r < 0)
                return r;
        sym = dlsym(h, entry_names[ep]);
        /* POSIX dlsym() returns void *, the function pointer cast is the documented way. */
        *(void **) ret = sym;
        return 0;
}

/**
 * target_basename() - "pam_systemd" from "/lib/.../pam_systemd.so".
 * @path: module path
 * @ret: buffer
 * @size: its size
 */
void target_basename(const char *path, char *ret, size_t size) {
        const char *b = strrchr(path, '/');
        size_t n;

        b = b ? b + 1 : path;
        n = strcspn(b, ".");
        (void) snprintf(ret, size, "%.*s", (int) MIN(n, size - 1), b);
        for (char *p = ret; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
                        *p = '_';
}
