/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The table before the call. A small one (a login program's dozen
 * descriptors) is listed from /proc/self/fd with an fstat() each, sockets
 * only kept, sorted by fd: a lookup is a binary search and tells a socket
 * from a later one with the same number. A large one (15,000 sockets) is
 * kept as the set of open fd numbers, found as the complement of the
 * table's holes: an fstat() of each descriptor costs 10 ms there, the
 * holes a few microseconds each.
 *
 * sockets_cut_new() runs on the watchdog thread, which shares the caller's
 * TLS: it allocates nothing and makes only raw system calls (rawsys.h).
 */
#include "sockset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "macro.h"
#include "rawsys.h"

#define DENTS_SIZE 8192
/* More open descriptors than this make a table large (kept by number). */
#define SMALL_TABLE_MAX 160U
/* snapshot_polled(): the table is large, take it by number. */
#define SNAPSHOT_LARGE 1

void socktable_done(SockTable *t) {
        free(t->e);
        free(t->open);
        *t = (SockTable){};
}

static int sock_table_add(SockTable *t, int fd, ino_t ino) {
        if (t->n == t->allocated) {
                size_t n = t->allocated ? t->allocated * 2 : 32;
                SockEntry *p = reallocarray(t->e, n, sizeof(*p));

                if (!p)
                        return -ENOMEM;
                t->e = p;
                t->allocated = n;
        }
        t->e[t->n++] = (SockEntry){ .fd = fd, .ino = ino };
        return 0;
}

/* Digits only; -1 otherwise. No strtol: this runs on the watchdog thread. */
static int parse_fd(const char *s) {
        long v = 0;

        if (!*s)
                return -1;
        for (; *s; s++) {
                if (*s < '0' || *s > '9' || v > (1L << 30))
                        return -1;
                v = v * 10 + (*s - '0');
        }
        return (int) v;
}

typedef int (*sock_fn)(int fd, ino_t ino, void *userdata);

/* Reads "FDSize:" from /proc/self/status: how many fd numbers to try. */
static int fd_table_size(char *buf, size_t size) {
        static const char key[] = "\nFDSize:";
        int fd = raw_openat(AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC);
        long n = 0, v = 0;
        const char *p;

        if (fd < 0)
                return fd;
        while ((size_t) n < size - 1) {
                long r = raw_read(fd, buf + n, size - 1 - (size_t) n);
                if (r <= 0)
                        break;
                n += r;
        }
        raw_close(fd);
        buf[n] = '\0';
        p = strstr(buf, key);
        if (!p)
                return -EBADMSG;
        for (p += sizeof(key) - 1; *p == ' ' || *p == '\t'; p++)
                ;
        for (; *p >= '0' && *p <= '9' && v < (1L << 30); p++)
                v = v * 10 + (*p - '0');
        return v > 0 ? (int) v : -EBADMSG;
}

static int visit_fd(int fd, sock_fn fn, void *userdata) {
        struct stat st = {}; /* filled by a raw system call analyzers cannot see */

        if (raw_fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
                return 0;
        return fn(fd, st.st_ino, userdata);
}

/* A large table: every fd number up to FDSize. Listing /proc/self/fd costs
 * about a microsecond an entry, three times what fstat() of a number does. */
static int walk_numbers(char *buf, size_t size, sock_fn fn, void *userdata) {
        int n = fd_table_size(buf, size), r = 0;

        for (int fd = 0; fd < n && r >= 0; fd++)
                r = visit_fd(fd, fn, userdata);
        return n < 0 ? n : r;
}

/* Opens /proc/self/fd and reads its first records into @buf: the
 * directory with *ret_n the bytes read, or -errno. More than half a buffer
 * (a few hundred descriptors) makes a table large: then the directory is
 * closed again and *ret_large set, for the caller to go by number. */
static int list_first(char *buf, size_t size, long *ret_n, bool *ret_large) {
        int dir = raw_openat(AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        long n;

        *ret_large = false;
        if (dir < 0)
                return dir;
        n = raw_getdents64(dir, buf, size);
        if (n > 0 && (size_t) n > size / 2) {
                raw_close(dir);
                *ret_large = true;
                return -EBADF;
        }
        *ret_n = n;
        return dir;
}

/* Calls @fn for every socket of a listed table, then closes @dir. */
static int walk_listed(int dir, long n, char *buf, size_t size, sock_fn fn, void *userdata) {
        int r = 0;

        while (n > 0 && r >= 0) {
                for (long off = 0; off < n && r >= 0;) {
                        const struct dirent64 *d = (const struct dirent64 *) (buf + off);
                        int fd = parse_fd(d->d_name);

                        off += d->d_reclen;
                        if (fd >= 0 && fd != dir)
                                r = visit_fd(fd, fn, userdata);
                }
                if (r >= 0)
                        n = raw_getdents64(dir, buf, size);
        }
        raw_close(dir);
        return r < 0 ? r : (int) MIN(n, 0);
}

/* Calls @fn for every socket descriptor of this process, in fd order. A
 * small table is listed from /proc/self/fd, a large one is walked by number. */
static int walk_sockets(char *buf, size_t size, sock_fn fn, void *userdata) {
        long n = 0;
        bool large;
        int dir = list_first(buf, size, &n, &large);

        if (large)
                return walk_numbers(buf, size, fn, userdata);
        if (dir < 0)
                return dir;
        return walk_listed(dir, n, buf, size, fn, userdata);
}

#define BITS_PER_WORD 64U

static void bit_clear(uint64_t *bits, int n) {
        bits[(unsigned) n / BITS_PER_WORD] &= ~(UINT64_C(1) << ((unsigned) n % BITS_PER_WORD));
}

static bool bit_test(const uint64_t *bits, int n) {
        return bits[(unsigned) n / BITS_PER_WORD] & (UINT64_C(1) << ((unsigned) n % BITS_PER_WORD));
}

static bool fd_open(int fd) {
        return RAW(SYS_fcntl, fd, F_GETFD, 0, 0, 0, 0) >= 0;
}

/* The highest open fd below @size: a free number costs no file lookup. */
static int highest_open_fd(int size) {
        for (int fd = size - 1; fd >= 0; fd--)
                if (fd_open(fd))
                        return fd;
        return -1;
}

/* Clears the bits of the free numbers in 0..@top. F_DUPFD returns the
 * lowest free number at or above its argument from the kernel's bitmap,
 * so each hole costs a dup and a close. The duplicate is of @anchor, a
 * descriptor of our own: closing a duplicate of one of the program's
 * files would drop the program's POSIX locks on it. */
static int clear_holes(uint64_t *bits, int top, int anchor) {
        for (int start = 0;;) {
                int hole = (int) RAW(SYS_fcntl, anchor, F_DUPFD_CLOEXEC, start, 0, 0, 0);

                if (hole < 0)
                        return hole;
                raw_close(hole);
                if (hole > top)
                        return 0;
                bit_clear(bits, hole);
                start = hole + 1;
        }
}

/* The same without F_DUPFD (a full table): one F_GETFD a number. */
static void clear_holes_slowly(uint64_t *bits, int top) {
        for (int fd = 0; fd <= top; fd++)
                if (!fd_open(fd))
                        bit_clear(bits, fd);
}

/* A large table as the set of open fd numbers. The helper descriptor is
 * not the program's: its number is free again once we return. */
static int snapshot_numbers(SockTable *t, char *buf, size_t size) {
        int n, anchor, top;
        size_t words;

        /* The anchor first: opening it may grow a full table, and FDSize
         * read after it covers it, so anchor <= top and its bit is in the
         * map (reading FDSize first was safe only because that read holds
         * the very slot the anchor takes next). */
        anchor = raw_openat(AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (anchor < 0)
                return anchor;
        n = fd_table_size(buf, size);
        if (n < 0) {
                raw_close(anchor);
                return n;
        }
        top = highest_open_fd(n);
        words = (size_t) top / BITS_PER_WORD + 1;
        t->open = malloc(words * sizeof(uint64_t));
        if (!t->open) {
                raw_close(anchor);
                return -ENOMEM;
        }
        memset(t->open, 0xff, words * sizeof(uint64_t));
        if (clear_holes(t->open, top, anchor) < 0)
                clear_holes_slowly(t->open, top);
        bit_clear(t->open, anchor);
        raw_close(anchor);
        t->top = top;
        return 0;
}

static int add_socket(int fd, ino_t ino, void *userdata) {
        return sock_table_add(userdata, fd, ino);
}

static int by_fd(const void *a, const void *b) {
        const SockEntry *x = a, *y = b;

        return (x->fd > y->fd) - (x->fd < y->fd);
}

/*
 * A small table without /proc: poll() over every fd number below the
 * descriptor limit says which are open (POLLNVAL: not), an fstat() each
 * tells the sockets. Listing /proc/self/fd costs 60 to 90 us in a fresh
 * process such as sshd's session child (the procfs entries are made on
 * the first look); this, 10 to 30 us. Numbers at or above the limit are
 * not looked at: the wrapped module cannot open a descriptor there, and
 * one the program had there from before it lowered its limit is left
 * alone (t->limit), as stock would leave it. All the numbers (1024, the
 * usual limit of sshd, cron and su) go to one poll() from an 8 KiB array
 * on the stack, in a function of its own that returns before the wrapped
 * call: the wrapped module's call takes those stack pages next anyway
 * (pam_systemd's does: bench/count.sh counts the same page faults), and
 * one poll() instead of eight of 128 numbers saves seven system calls, 10
 * to 20 us a login where they are dear (a paravirtualised VM,
 * docs/BENCHMARKS.md). -E2BIG: a higher limit (or no poll()), go by
 * /proc; SNAPSHOT_LARGE: more than SMALL_TABLE_MAX open, go by number.
 */
#define POLL_LIMIT_MAX 1024U

static __attribute__((noinline)) int snapshot_polled(SockTable *t) {
        struct pollfd p[POLL_LIMIT_MAX];
        int fds[SMALL_TABLE_MAX]; /* the open ones */
        struct rlimit rl;
        unsigned n, n_open = 0;
        int r = 0;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur > POLL_LIMIT_MAX || rl.rlim_cur == 0)
                return -E2BIG;
        n = (unsigned) rl.rlim_cur;
        for (unsigned i = 0; i < n; i++)
                p[i] = (struct pollfd){ .fd = (int) i };
        if (poll(p, n, 0) < 0)
                return -E2BIG;
        for (unsigned i = 0; i < n; i++) {
                if (p[i].revents & POLLNVAL)
                        continue;
                if (n_open == SMALL_TABLE_MAX)
                        return SNAPSHOT_LARGE;
                fds[n_open++] = (int) i;
        }
        for (unsigned i = 0; i < n_open && r >= 0; i++)
                r = visit_fd(fds[i], add_socket, t);
        t->limit = (int) n;
        return r;
}

/* The same from a listing of /proc/self/fd, for a limit too high to poll. */
static int snapshot_listed(SockTable *t, char *buf, size_t size) {
        long n = 0;
        bool large;
        int dir = list_first(buf, size, &n, &large);

        if (large)
                return snapshot_numbers(t, buf, size);
        if (dir < 0)
                return dir;
        return walk_listed(dir, n, buf, size, add_socket, t);
}

/* A table poll() cannot take: by /proc or by number, in a heap buffer. */
static int snapshot_slowly(SockTable *t, int polled) {
        _cleanup_free_ char *buf = malloc(DENTS_SIZE);
        int r;

        if (!buf)
                return -ENOMEM;
        /* NOLINTBEGIN(clang-analyzer-unix.Malloc): _cleanup_ frees it */
        if (polled == SNAPSHOT_LARGE)
                r = snapshot_numbers(t, buf, DENTS_SIZE);
        else
                r = snapshot_listed(t, buf, DENTS_SIZE);
        /* NOLINTEND(clang-analyzer-unix.Malloc) */
        return r;
}

/**
 * socktable_snapshot() - the sockets this process has open now.
 * @ret: the table, sorted by fd; release with socktable_done()
 *
 * Return: 0 or -errno (-ENOENT without /proc).
 */
int socktable_snapshot(SockTable *ret) {
        SockTable t = {};
        int r = snapshot_polled(&t);

        /* Both return before adding anything, so @t is still empty. */
        if (r == SNAPSHOT_LARGE || r == -E2BIG)
                r = snapshot_slowly(&t, r);
        if (r < 0) {
                socktable_done(&t);
                return r;
        }
        for (size_t i = 1; i < t.n; i++)
                if (t.e[i - 1].fd >= t.e[i].fd) {
                        qsort(t.e, t.n, sizeof(t.e[0]), by_fd);
                        break;
                }
        *ret = t;
        return 0;
}

/**
 * socktable_contains() - was this socket in the table (same fd, same socket)?
 * @t: table
 * @fd: descriptor
 * @ino: its socket inode now
 *
 * Return: true when @fd held the same socket when the table was taken.
 */
bool socktable_contains(const SockTable *t, int fd, ino_t ino) {
        size_t lo = 0, hi = t->n;

        if (t->limit > 0 && fd >= t->limit)
                return true; /* not looked at: never cut */
        if (t->open)
                return fd >= 0 && fd <= t->top && bit_test(t->open, fd);

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (t->e[mid].fd == fd)
                        return t->e[mid].ino == ino;
                if (t->e[mid].fd < fd)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return false;
}

typedef struct CutScan {
        const SockTable *keep;
        const CutFilter *filter;
        CutMemory *mem;
        unsigned n_cut;
} CutScan;

static bool cut_before(const CutMemory *m, ino_t ino) {
        for (unsigned i = 0; i < m->n; i++)
                if (m->ino[i] == ino)
                        return true;
        return false;
}

static int cut_one(int fd, ino_t ino, void *userdata) {
        CutScan *c = userdata;
        struct sockaddr_un sa = {};
        unsigned len = sizeof(sa);

        if (socktable_contains(c->keep, fd, ino) || cut_before(c->mem, ino))
                return 0;
        if (raw_getpeername(fd, &sa, &len) < 0 || sa.sun_family != AF_UNIX ||
            len <= offsetof(struct sockaddr_un, sun_path))
                return 0;
        if (!cut_filter_match(c->filter, sa.sun_path, len - offsetof(struct sockaddr_un, sun_path)))
                return 0;
        /* Shut down, never closed: the fd stays the module's, and its blocked
         * poll() wakes with POLLHUP in the module's own thread. */
        if (raw_shutdown(fd, SHUT_RDWR) < 0)
                return 0;
        c->n_cut++;
        if (c->mem->n < CUT_MEMORY_MAX)
                c->mem->ino[c->mem->n++] = ino;
        return 0;
}

/**
 * sockets_cut_new() - shut down every socket not in @keep whose peer @f
 * lets us cut. Safe on the watchdog thread: no allocation, raw calls only.
 * @keep: sockets that existed before the call
 * @f: which peers may be cut
 * @mem: sockets cut by earlier scans of the same call (updated)
 * @dents: scratch buffer for getdents64()
 * @size: its size
 *
 * Return: how many sockets were shut down by this scan.
 */
unsigned sockets_cut_new(const SockTable *keep, const CutFilter *f, CutMemory *mem, char *dents,
                         size_t size) {
        CutScan c = { .keep = keep, .filter = f, .mem = mem };

        (void) walk_sockets(dents, size, cut_one, &c);
        return c.n_cut;
}
