/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * EINTR-safe reads and writes, the trusted-file reader and the atomic
 * writer. Nothing here logs; callers turn the results into messages.
 */
#include "io-util.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"

/**
 * loop_write() - write all of @buf, retrying on EINTR and short writes.
 * @fd: destination
 * @buf: data
 * @len: bytes to write
 *
 * Return: 0 on success, -errno on failure (-EAGAIN for a non-blocking fd
 * that would block).
 */
int loop_write(int fd, const void *buf, size_t len) {
        const char *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EIO;
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

/**
 * read_full() - read until @len bytes or end of file, retrying on EINTR.
 * @fd: source
 * @buf: destination
 * @len: capacity
 *
 * Return: bytes read (less than @len only at end of file), or -errno.
 */
ssize_t read_full(int fd, void *buf, size_t len) {
        char *p = buf;
        size_t got = 0;

        while (got < len) {
                ssize_t n = read(fd, p + got, len - got);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                got += (size_t) n;
        }
        return (ssize_t) got;
}

/**
 * read_small_file() - a small file (under /proc, say) read whole into @buf
 * as a string: what does not fit is left out.
 * @path: file
 * @buf: destination
 * @size: its capacity, the NUL included
 *
 * Return: true when it was read.
 */
bool read_small_file(const char *path, char *buf, size_t size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        ssize_t n;

        if (fd < 0 || size == 0)
                return false;
        n = read_full(fd, buf, size - 1);
        if (n < 0)
                return false;
        buf[n] = '\0';
        return true;
}

/* read_full() of a regular file that fstat() said holds @size bytes, into
 * @len > @size: a read() that returns exactly @size bytes is at the end
 * (had the file grown first, it would have returned more), so the read()
 * that read_full() would make to see the end is left out; any other
 * count goes on as read_full(). */
static ssize_t read_sized(int fd, char *buf, size_t len, size_t size) {
        ssize_t n, m;

        do
                n = read(fd, buf, len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if ((size_t) n == size || n == 0 || (size_t) n == len)
                return n;
        m = read_full(fd, buf + n, len - (size_t) n);
        return m < 0 ? m : n + m;
}

static int check_trusted_stat(const struct stat *st, uid_t owner, size_t max_size) {
        if (!S_ISREG(st->st_mode))
                return TRUST_E_NOT_REGULAR;
        if (st->st_uid != owner && st->st_uid != 0)
                return TRUST_E_OWNER;
        if (st->st_mode & (S_IWGRP | S_IWOTH))
                return TRUST_E_MODE;
        if ((uint64_t) st->st_size > max_size)
                return TRUST_E_OVERSIZE;
        return TRUST_OK;
}

/**
 * read_trusted_file() - read a small file only if it can be trusted.
 * @dir_fd: AT_FDCWD or a directory for a relative @path
 * @path: file to read; a symlink as its last component is refused
 * @owner: uid that may own it besides root
 * @max_size: refuse files larger than this
 * @ret_buf: NUL-terminated contents, to be freed by the caller
 * @ret_size: length of the contents without the NUL
 *
 * Opens with O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC so that neither a symlink nor a
 * FIFO planted at @path can redirect or block the reader.
 *
 * Return: TRUST_OK (0), a positive TRUST_E_* verdict, or -errno (-ENOENT
 * when the file does not exist).
 */
int read_trusted_file(int dir_fd, const char *path, uid_t owner, size_t max_size, char **ret_buf,
                      size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t cap;
        ssize_t n;
        int r;

        fd = openat(dir_fd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return errno == ELOOP ? TRUST_E_SYMLINK : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        r = check_trusted_stat(&st, owner, max_size);
        if (r != TRUST_OK)
                return r;

        /* Sized by fstat(), not by @max_size: a 64 KiB buffer for a
         * config of a few lines costs the login page faults (a fault is
         * 10+ us on some VMs: bench/floor.sh). One byte more, to see a
         * file that grew since; then the rest, up to one byte over the
         * limit, so a file grown too large is caught too. */
        cap = MIN((size_t) st.st_size, max_size) + 1;
        buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        n = read_sized(fd, buf, cap, (size_t) st.st_size);
        if (n < 0)
                return (int) n;
        if ((size_t) n == cap && cap <= max_size) {
                char *more = realloc(buf, max_size + 2);
                ssize_t m;

                if (!more)
                        return -ENOMEM;
                buf = more;
                m = read_full(fd, buf + n, max_size + 1 - (size_t) n);
                if (m < 0)
                        return (int) m;
                n += m;
        }
        if ((size_t) n > max_size)
                return TRUST_E_OVERSIZE;
        buf[n] = '\0';

        *ret_buf = TAKE_PTR(buf);
        *ret_size = (size_t) n;
        return TRUST_OK;
}

/**
 * trust_strerror() - describe a TRUST_E_* verdict for people.
 * @verdict: value returned by read_trusted_file()
 *
 * Return: a static string.
 */
/**
 * read_trusted_file_into() - read_trusted_file() into the caller's buffer.
 * @dir_fd: directory for a relative @path, or AT_FDCWD
 * @path: file
 * @owner: uid that may own it besides root
 * @buf: out, NUL-terminated
 * @size: its size; the file may hold at most @size - 2 bytes
 * @ret_len: bytes read
 *
 * Return: as read_trusted_file().
 */
int read_trusted_file_into(int dir_fd, const char *path, uid_t owner, char *buf, size_t size,
                           size_t *ret_len) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        ssize_t n;
        int r;

        if (size < 2)
                return -EINVAL;
        fd = openat(dir_fd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return errno == ELOOP ? TRUST_E_SYMLINK : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        r = check_trusted_stat(&st, owner, size - 2);
        if (r != TRUST_OK)
                return r;
        n = read_sized(fd, buf, size - 1, (size_t) st.st_size);
        if (n < 0)
                return (int) n;
        if ((size_t) n > size - 2)
                return TRUST_E_OVERSIZE;
        buf[n] = '\0';
        *ret_len = (size_t) n;
        return TRUST_OK;
}

const char *trust_strerror(int verdict) {
        static const char *const table[_TRUST_E_MAX] = {
                [TRUST_OK] = "ok",
                [TRUST_E_SYMLINK] = "is a symlink",
                [TRUST_E_NOT_REGULAR] = "is not a regular file",
                [TRUST_E_OWNER] = "has the wrong owner",
                [TRUST_E_MODE] = "is writable by group or others",
                [TRUST_E_OVERSIZE] = "is too large",
        };

        if (verdict < 0 || verdict >= _TRUST_E_MAX)
                return "is unusable";
        return table[verdict];
}

/**
 * now_usec() - read a clock in microseconds.
 * @clock_id: CLOCK_MONOTONIC, CLOCK_REALTIME, ...
 *
 * Return: microseconds; 0 if the clock cannot be read.
 */
uint64_t now_usec(int clock_id) {
        struct timespec ts;

        if (clock_gettime(clock_id, &ts) < 0)
                return 0;
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}

static int tmp_path_for(const char *path, char **ret) {
        char *t;

        if (asprintf(&t, "%s.tmp.%ld", path, (long) getpid()) < 0)
                return -ENOMEM;
        *ret = t;
        return 0;
}

/**
 * write_file_atomic() - replace @path with @data, never exposing a partial file.
 * @dir_fd: AT_FDCWD or the directory a relative @path is in
 * @path: destination; a temporary file is made beside it
 * @data: contents
 * @len: length of @data
 * @mode: permissions of the new file
 * @sync: fsync the file before the rename
 *
 * Return: 0 on success, -errno on failure (the old file is left in place).
 */
int write_file_atomic(int dir_fd, const char *path, const char *data, size_t len, mode_t mode,
                      bool sync) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = tmp_path_for(path, &tmp);
        if (r < 0)
                return r;
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        r = fchmod(fd, mode) < 0 ? -errno : 0;
        if (r == 0)
                r = loop_write(fd, data, len);
        if (r == 0 && sync && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && renameat(dir_fd, tmp, dir_fd, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

/**
 * dgram_connect() - a non-blocking datagram socket connected to @path.
 * @path: AF_UNIX socket path (/dev/log)
 *
 * Connected, a datagram socket polls writable exactly when the reader's
 * queue has room, and sends never wait with MSG_DONTWAIT.
 *
 * Return: the fd (O_CLOEXEC), or -errno (-ENAMETOOLONG, -ENOENT,
 * -ECONNREFUSED when nobody is bound there).
 */
int dgram_connect(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t n = strlen(path);
        int fd, r;

        if (n >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, n + 1);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                r = -errno;
                (void) close(fd);
                return r;
        }
        return fd;
}
