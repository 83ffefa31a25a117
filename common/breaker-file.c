/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading, creating and mapping breaker files. A file is trusted only when
 * it is a regular file of root (or of @owner, for tests that run as a
 * user), not writable by group or others, of exactly the record's size,
 * and of this boot. Anything else is refused, never repaired in place: a
 * file is only ever replaced whole, by rename.
 */
#include "breaker-file.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io-util.h"
#include "macro.h"

/* Map, or make a fresh file and map again: another root login may replace
 * it between the two, so a few tries, then give up (-EBUSY). */
#define BREAKER_MAP_ATTEMPTS 3U

static const char *const state_names[_BREAKER_STATE_MAX] = {
        [BREAKER_CLOSED] = "closed",
        [BREAKER_OPEN] = "open",
        [BREAKER_HALF_OPEN] = "half-open",
};

/**
 * breaker_state_to_string() - "closed", "open" or "half-open".
 * @s: state
 *
 * Return: the name, or NULL for an invalid state.
 */
const char *breaker_state_to_string(BreakerState s) {
        return s >= 0 && s < _BREAKER_STATE_MAX ? state_names[s] : NULL;
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/**
 * breaker_boot_id() - this boot's id, from /proc/sys/kernel/random/boot_id.
 * @ret: 16 bytes
 *
 * Return: 0, -EBADMSG when the file is not a UUID, or -errno.
 */
static const char *boot_id_path = "/proc/sys/kernel/random/boot_id";

/**
 * breaker_boot_id_from() - read the boot id from @path from now on.
 * guardd reads it as PID 1's mount namespace sees it: a sandboxed service
 * (ProtectKernelTunables=) in a container may see the host's boot id
 * instead of the one the container's logins see (systemd-nspawn binds its
 * own over /proc/sys/kernel/random/boot_id).
 * @path: a file holding the boot id
 */
void breaker_boot_id_from(const char *path) {
        boot_id_path = path;
}

int breaker_boot_id(uint8_t ret[16]) {
        _cleanup_close_ int fd = -EBADF;
        char buf[64];
        unsigned n = 0;
        ssize_t len;

        fd = open(boot_id_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        len = read_full(fd, buf, sizeof(buf) - 1);
        if (len < 0)
                return (int) len;
        for (ssize_t i = 0; i < len && n < 32; i++) {
                int v = hex_value(buf[i]);

                if (buf[i] == '-')
                        continue;
                if (v < 0)
                        return -EBADMSG;
                if (n % 2 == 0)
                        ret[n / 2] = (uint8_t) (v << 4);
                else
                        ret[n / 2] |= (uint8_t) v;
                n++;
        }
        return n == 32 ? 0 : -EBADMSG;
}

/**
 * breaker_file_name() - the file name of @target's breaker.
 * @target: wrapped module name, e.g. "pam_systemd"
 * @buf: out
 * @size: its size
 */
void breaker_file_name(const char *target, char *buf, size_t size) {
        (void) snprintf(buf, size, BREAKER_FILE_PREFIX "%s", target);
}

/* A directory others cannot plant files in: root's (or @owner's), not
 * writable by group or others; made 0755 root's when missing and @create,
 * whatever the caller's umask and group. */
static int dir_open_at(int at_fd, const char *path, uid_t owner, bool create) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = openat(at_fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create) {
                if (mkdirat(at_fd, path, 0700) < 0 && errno != EEXIST)
                        return -errno;
                fd = openat(at_fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd >= 0 && (fchown(fd, 0, 0) < 0 || fchmod(fd, 0755) < 0))
                        return -errno;
        }
        if (fd < 0)
                return errno == ELOOP ? -ENOTDIR : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if ((st.st_uid != 0 && st.st_uid != owner) || (st.st_mode & (S_IWGRP | S_IWOTH)))
                return -EPERM;
        return TAKE_FD(fd);
}

/**
 * breaker_user_hash() - a 64-bit FNV-1a hash of a user name: the per-user
 * breaker's key. The name comes from PAM (no NSS on the decision path), so
 * the hash also keeps whatever it holds out of the file name.
 * @user: the login's user name
 *
 * Return: the hash.
 */
uint64_t breaker_user_hash(const char *user) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (const unsigned char *p = (const unsigned char *) user; *p; p++) {
                h ^= *p;
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

/**
 * breaker_user_file_name() - the file name of @user's breaker for @target,
 * in the users directory.
 * @target: wrapped module name
 * @user: the login's user name
 * @buf: out
 * @size: its size
 */
void breaker_user_file_name(const char *target, const char *user, char *buf, size_t size) {
        (void) snprintf(buf, size, BREAKER_FILE_PREFIX "%s.u%016llx", target,
                        (unsigned long long) breaker_user_hash(user));
}

/**
 * breaker_users_dir_open() - the per-user breakers' directory, under the
 * same rules as the state directory (root's, not writable by others).
 * @state_dir_fd: the state directory
 * @owner: uid allowed to own it besides root
 * @create: create it (0755 root's) when missing
 *
 * Return: the directory fd or -errno (-ENOENT when missing).
 */
int breaker_users_dir_open(int state_dir_fd, uid_t owner, bool create) {
        return dir_open_at(state_dir_fd, BREAKER_USERS_DIR, owner, create);
}

/**
 * breaker_users_walk() - each per-user record whose file name starts with
 * @prefix, read and checked as breaker_file_read() does (others skipped).
 * @users_fd: the users directory (not consumed)
 * @prefix: file name prefix, e.g. "breaker-" or "breaker-pam_systemd.u"
 * @owner: uid allowed to own the files besides root
 * @fn: called for each; false stops the walk
 * @userdata: for @fn
 */
void breaker_users_walk(int users_fd, const char *prefix, uid_t owner, BreakerUserFn fn,
                        void *userdata) {
        _cleanup_close_ int fd = -EBADF;
        DIR *d;

        /* A fresh open: a dup would share (and move) the caller's offset. */
        fd = openat(users_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d)
                return;
        TAKE_FD(fd);
        for (struct dirent *de; (de = readdir(d));) {
                BreakerRecord r;

                if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
                    breaker_file_read(dirfd(d), de->d_name, owner, &r) < 0)
                        continue;
                if (!fn(dirfd(d), de->d_name, &r, userdata))
                        break;
        }
        (void) closedir(d);
}

/**
 * breaker_record_check() - is @r a record of this boot?
 * @r: record
 * @len: bytes read
 * @boot_id: this boot's id
 *
 * Return: 0; -ESTALE when it is from another boot; -EBADMSG when it is
 * not a breaker record of this version.
 */
int breaker_record_check(const BreakerRecord *r, size_t len, const uint8_t boot_id[16]) {
        if (len != sizeof(*r) || r->magic != BREAKER_FILE_MAGIC ||
            r->version != BREAKER_FILE_VERSION || r->size != sizeof(*r) ||
            BREAKER_WORD_STATE(r->word) >= _BREAKER_STATE_MAX)
                return -EBADMSG;
        return memcmp(r->boot_id, boot_id, 16) == 0 ? 0 : -ESTALE;
}

static int check_stat(const struct stat *st, uid_t owner) {
        if (!S_ISREG(st->st_mode))
                return -EBADMSG;
        if ((st->st_uid != 0 && st->st_uid != owner) || (st->st_mode & (S_IWGRP | S_IWOTH)))
                return -EPERM;
        return (size_t) st->st_size == sizeof(BreakerRecord) ? 0 : -EBADMSG;
}

static int open_checked(int dir_fd, const char *name, uid_t owner, int flags) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        fd = openat(dir_fd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return errno == ELOOP ? -EPERM : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        r = check_stat(&st, owner);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}

/**
 * breaker_file_read() - a consistent-enough copy of the record, for readers.
 * Each field is read whole; fields may come from different moments, which
 * readers (a decision, a counter sum) tolerate.
 * @dir_fd: state directory
 * @name: file name (breaker_file_name())
 * @owner: uid allowed to own it besides root
 * @ret: the record
 *
 * Return: 0; -ENOENT when missing; -ESTALE when from another boot;
 * -EPERM when untrusted (owner, mode, symlink); -EBADMSG when corrupt;
 * other -errno.
 */
int breaker_file_read(int dir_fd, const char *name, uid_t owner, BreakerRecord *ret) {
        _cleanup_close_ int fd = -EBADF;
        uint8_t boot_id[16];
        BreakerRecord r;
        ssize_t n;
        int e;

        fd = open_checked(dir_fd, name, owner, O_RDONLY);
        if (fd < 0)
                return fd;
        n = pread(fd, &r, sizeof(r), 0);
        if (n < 0)
                return -errno;
        e = breaker_boot_id(boot_id);
        if (e < 0)
                return e;
        e = breaker_record_check(&r, (size_t) n, boot_id);
        if (e < 0)
                return e;
        *ret = r;
        return 0;
}

/* A fresh closed record, written to a temporary file and renamed into
 * place: over an unusable file when @replace, else only if none exists. */
static int create_file(int dir_fd, const char *name, const uint8_t boot_id[16], bool replace) {
        BreakerRecord r = {
                .magic = BREAKER_FILE_MAGIC,
                .version = BREAKER_FILE_VERSION,
                .size = sizeof(BreakerRecord),
        };
        _cleanup_close_ int fd = -EBADF;
        char tmp[160];
        int e;

        memcpy(r.boot_id, boot_id, 16);
        (void) snprintf(tmp, sizeof(tmp), ".%s.%d.%llx", name, (int) getpid(),
                        (unsigned long long) now_usec(CLOCK_MONOTONIC));
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        /* Explicitly: the caller's umask must not decide who may read it. */
        e = fchmod(fd, 0644) < 0 ? -errno : 0;
        if (e == 0)
                e = loop_write(fd, &r, sizeof(r));
        if (e == 0 && replace && renameat(dir_fd, tmp, dir_fd, name) < 0)
                e = -errno;
        if (e == 0 && !replace && renameat2(dir_fd, tmp, dir_fd, name, RENAME_NOREPLACE) < 0)
                e = errno == EEXIST ? 0 : -errno; /* another login made it first: use theirs */
        (void) unlinkat(dir_fd, tmp, 0);
        return e;
}

static int map_fd(int fd, const uint8_t boot_id[16], BreakerMap *ret) {
        BreakerRecord *rec;
        int e;

        rec = mmap(NULL, sizeof(*rec), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (rec == MAP_FAILED)
                return -errno;
        e = breaker_record_check(rec, sizeof(*rec), boot_id);
        if (e < 0) {
                (void) munmap(rec, sizeof(*rec));
                return e;
        }
        *ret = (BreakerMap){ .fd = fd, .rec = rec };
        return 0;
}

/* Maps the file as it is now: 0, or why not (-ENOENT, -ESTALE, ...). */
static int map_existing(int dir_fd, const char *name, uid_t owner, const uint8_t boot_id[16],
                        BreakerMap *ret) {
        _cleanup_close_ int fd = open_checked(dir_fd, name, owner, O_RDWR);
        int e;

        if (fd < 0)
                return fd;
        e = map_fd(fd, boot_id, ret);
        if (e == 0)
                TAKE_FD(fd); /* the mapping owns it */
        return e;
}

/**
 * breaker_file_map() - map the record for atomic updates.
 * @dir_fd: state directory
 * @name: file name
 * @owner: uid allowed to own it besides root
 * @create: make a fresh closed record when none, or only an unusable one
 *          (another boot's, corrupt), exists
 * @ret: the mapping; release with breaker_file_unmap()
 *
 * Return: 0 or -errno as breaker_file_read().
 */
int breaker_file_map(int dir_fd, const char *name, uid_t owner, bool create, BreakerMap *ret) {
        uint8_t boot_id[16];
        int e;

        e = breaker_boot_id(boot_id);
        if (e < 0)
                return e;
        for (unsigned attempt = 0; attempt < BREAKER_MAP_ATTEMPTS; attempt++) {
                e = map_existing(dir_fd, name, owner, boot_id, ret);
                if (e == 0)
                        return 0;
                if (!create || (e != -ENOENT && e != -ESTALE && e != -EBADMSG))
                        return e;
                e = create_file(dir_fd, name, boot_id, e != -ENOENT);
                if (e < 0)
                        return e;
        }
        return -EBUSY;
}

/**
 * breaker_file_unmap() - release a mapping.
 * @m: mapping (may be empty)
 */
void breaker_file_unmap(BreakerMap *m) {
        if (m->rec)
                (void) munmap(m->rec, sizeof(*m->rec));
        if (m->fd >= 0)
                (void) close(m->fd);
        *m = (BreakerMap){ .fd = -EBADF };
}

/**
 * breaker_dir_open() - open the state directory, refusing one that others
 * could plant a breaker file in.
 * @path: directory
 * @owner: uid allowed to own it besides root
 * @create: create it when missing: 0755 and root's, whatever the
 *          caller's umask and group (the module does this only for root)
 *
 * Return: the directory fd; -EPERM when not root's (or @owner's) or
 * writable by group or others; -ENOTDIR for a symlink; other -errno.
 */
int breaker_dir_open(const char *path, uid_t owner, bool create) {
        return dir_open_at(AT_FDCWD, path, owner, create);
}
