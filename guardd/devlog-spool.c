/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Spool records are written with pwrite() at the end of the last complete
 * record, so a failed or short write is undone with ftruncate(): the file
 * never holds half a record past its known size.
 */
#include "devlog-spool.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "io-util.h"
#include "log.h"
#include "macro.h"
#include "parse-util.h"

typedef struct RecordHeader {
        uint32_t len;
        uint32_t pid;
        uint32_t uid;
        uint32_t gid;
} RecordHeader;

void spool_init(Spool *s) {
        assert(s);

        *s = (Spool){ .fd = -EBADF, .progress_fd = -EBADF };
}

void spool_close(Spool *s) {
        assert(s);

        if (s->fd >= 0)
                (void) close(s->fd);
        if (s->progress_fd >= 0)
                (void) close(s->progress_fd);
        s->fd = s->progress_fd = -EBADF;
}

/* The end of the last complete record: a torn tail is not part of it. */
static uint64_t complete_end(int fd, uint64_t file_size) {
        uint64_t off = SPOOL_MAGIC_LEN;

        while (off + sizeof(RecordHeader) <= file_size) {
                RecordHeader h;

                if (pread(fd, &h, sizeof(h), (off_t) off) != sizeof(h) || h.len > SPOOL_MSG_MAX ||
                    off + sizeof(h) + h.len > file_size)
                        break;
                off += sizeof(h) + h.len;
        }
        return off;
}

/* The progress file: one offset, right-aligned in a fixed width, a newline. */
#define PROGRESS_DIGITS 20 /* UINT64_MAX has 20 */
#define PROGRESS_LEN (PROGRESS_DIGITS + 1)

static int write_progress(int fd, uint64_t off);

static int read_progress(Spool *s) {
        char path[640], buf[32] = "";
        ssize_t n;

        (void) snprintf(path, sizeof(path), "%s.progress", s->path);
        s->progress_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (s->progress_fd < 0)
                return -errno;
        n = pread(s->progress_fd, buf, sizeof(buf) - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        /* Written right-aligned in a fixed width: an in-place rewrite never
         * leaves digits of a longer old value behind. */
        if (!*buf || parse_u64(buf + strspn(buf, " "), &s->replay_off) < 0 ||
            s->replay_off < SPOOL_MAGIC_LEN || s->replay_off > s->size)
                s->replay_off = SPOOL_MAGIC_LEN;
        /* Written now, full width: later rewrites need no new block, even
         * on a full filesystem. */
        return n >= PROGRESS_LEN ? 0 : write_progress(s->progress_fd, s->replay_off);
}

static int check_or_write_magic(int fd, const struct stat *st) {
        char magic[SPOOL_MAGIC_LEN];

        if (st->st_size == 0)
                return loop_write(fd, SPOOL_MAGIC, SPOOL_MAGIC_LEN);
        if (pread(fd, magic, sizeof(magic), 0) != (ssize_t) sizeof(magic) ||
            memcmp(magic, SPOOL_MAGIC, SPOOL_MAGIC_LEN) != 0)
                return -EBADMSG;
        return 0;
}

/**
 * spool_open() - open the spool in @dir (and its progress), cutting off a
 * torn last record.
 * @s: spool
 * @dir: spool_dir
 * @create: create the directory (0700) and the file when missing
 *
 * Return: 0; -ENOENT when there is none and !@create; -EBADMSG when the
 * file is not a spool; other -errno.
 */
int spool_open(Spool *s, const char *dir, bool create) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        assert(s);
        spool_init(s);
        if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        (void) snprintf(s->path, sizeof(s->path), "%s/%s", dir, SPOOL_NAME);
        fd = open(s->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        r = check_or_write_magic(fd, &st);
        if (r < 0)
                return r;
        s->size = complete_end(fd, (uint64_t) MAX(st.st_size, (off_t) SPOOL_MAGIC_LEN));
        if ((uint64_t) st.st_size > s->size && ftruncate(fd, (off_t) s->size) < 0)
                return -errno;
        s->fd = TAKE_FD(fd);
        r = read_progress(s);
        if (r < 0)
                spool_close(s);
        return r;
}

/**
 * spool_truncate() - cut the spool back to @size (a record boundary).
 * @s: spool
 * @size: new end
 *
 * Return: 0 or -errno.
 */
int spool_truncate(Spool *s, uint64_t size) {
        assert(s);

        if (ftruncate(s->fd, (off_t) size) < 0)
                return -errno;
        s->size = size;
        return 0;
}

/**
 * spool_append() - keep one message. All or nothing: a failed or short
 * write (a full disk) is cut off again.
 * @s: spool
 * @cred: who sent it
 * @data: the datagram
 * @len: its length (at most SPOOL_MSG_MAX)
 *
 * Return: 0; -EFBIG past SPOOL_MAX_BYTES; -ENOSPC and other -errno.
 */
int spool_append(Spool *s, const SpoolCred *cred, const void *data, size_t len) {
        RecordHeader h = { .len = (uint32_t) len, .pid = cred->pid, .uid = cred->uid,
                           .gid = cred->gid };
        struct iovec iov[2] = { { &h, sizeof(h) }, { (void *) (uintptr_t) data, len } };
        ssize_t n;

        assert(s);
        if (len > SPOOL_MSG_MAX)
                return -EMSGSIZE;
        if (s->size + sizeof(h) + len > SPOOL_MAX_BYTES)
                return -EFBIG;
        n = pwritev(s->fd, iov, 2, (off_t) s->size);
        if (n == (ssize_t) (sizeof(h) + len)) {
                s->size += sizeof(h) + len;
                s->records++;
                return 0;
        }
        n = n < 0 ? -errno : -ENOSPC;
        if (ftruncate(s->fd, (off_t) s->size) < 0)
                log_warning_errno(-errno, "Cannot cut a torn record off %s, ignoring: %m", s->path);
        return (int) n;
}

/**
 * spool_read() - the record at @off.
 * @s: spool
 * @off: a record boundary
 * @cred: its sender
 * @buf: its datagram (room for SPOOL_MSG_MAX bytes, the most a record holds)
 * @ret_len: datagram length
 * @ret_next: the next record's offset
 *
 * Return: 0; -ENODATA at the end; -EBADMSG for a record that cannot be.
 */
int spool_read(const Spool *s, uint64_t off, SpoolCred *cred, char buf[static SPOOL_MSG_MAX],
               size_t *ret_len, uint64_t *ret_next) {
        RecordHeader h;

        if (off + sizeof(h) > s->size)
                return -ENODATA;
        if (pread(s->fd, &h, sizeof(h), (off_t) off) != sizeof(h) || h.len > SPOOL_MSG_MAX ||
            off + sizeof(h) + h.len > s->size ||
            pread(s->fd, buf, h.len, (off_t) (off + sizeof(h))) != (ssize_t) h.len)
                return -EBADMSG;
        *cred = (SpoolCred){ .pid = h.pid, .uid = h.uid, .gid = h.gid };
        *ret_len = h.len;
        *ret_next = off + sizeof(h) + h.len;
        return 0;
}

static int write_progress(int fd, uint64_t off) {
        char buf[PROGRESS_LEN + 1];

        (void) snprintf(buf, sizeof(buf), "%*" PRIu64 "\n", PROGRESS_DIGITS, off);
        return pwrite(fd, buf, strlen(buf), 0) == (ssize_t) strlen(buf) ? 0 : -errno;
}

/**
 * spool_advance() - record that everything before @off was replayed. The
 * offset in memory always moves; the progress file (rewritten in place,
 * its blocks allocated when the spool was made) is what a restart resumes
 * from.
 * @s: spool
 * @off: a record boundary
 *
 * Return: 0, or -errno when the progress file could not be updated.
 */
int spool_advance(Spool *s, uint64_t off) {
        assert(s);

        s->replay_off = off;
        return write_progress(s->progress_fd, off);
}

bool spool_pending(const Spool *s) {
        assert(s);

        return s->fd >= 0 && s->replay_off < s->size;
}

int spool_sync(Spool *s) {
        assert(s);

        return s->fd >= 0 && fsync(s->fd) < 0 ? -errno : 0;
}

/**
 * spool_remove_if_done() - remove spool and progress once every record was
 * replayed; never before.
 * @s: spool
 *
 * Return: 1 when removed, 0 when records are pending.
 */
int spool_remove_if_done(Spool *s) {
        char path[640];

        assert(s);
        if (s->fd < 0 || spool_pending(s))
                return 0;
        (void) snprintf(path, sizeof(path), "%s.progress", s->path);
        (void) unlink(s->path);
        (void) unlink(path);
        spool_close(s);
        return 1;
}
