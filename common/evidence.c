/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The watchdog's evidence readers (see evidence.h): small files read with
 * raw system calls into caller-provided buffers, parsed by hand.
 */
#include "evidence.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "rawsys.h"

#define AUDIT_SESSION_UNSET UINT64_C(4294967295)

/* Reads at most size - 1 bytes of an opened file and closes it. */
static long read_and_close(int fd, char *buf, size_t size) {
        long n = 0;

        while ((size_t) n < size - 1) {
                long r = raw_read(fd, buf + n, size - 1 - (size_t) n);

                if (r == -4 /* EINTR */)
                        continue;
                if (r <= 0)
                        break;
                n += r;
        }
        raw_close(fd);
        buf[n] = '\0';
        return n;
}

static long read_at(int dir_fd, const char *name, char *buf, size_t size) {
        int fd = raw_openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);

        return fd < 0 ? fd : read_and_close(fd, buf, size);
}

/* Digits up to the end of the line; false when there are none or too many. */
static bool parse_dec(const char *s, uint64_t *ret) {
        uint64_t v = 0;
        const char *p = s;

        for (; *p >= '0' && *p <= '9'; p++) {
                if (v > UINT64_MAX / 10 - 1)
                        return false;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        if (p == s || (*p != '\0' && *p != '\n'))
                return false;
        *ret = v;
        return true;
}

/* The value of KEY= on a line of its own, or NULL. */
static const char *line_value(const char *text, const char *key) {
        size_t n = strlen(key);

        for (const char *p = text; p && *p;) {
                if (strncmp(p, key, n) == 0 && p[n] == '=')
                        return p + n + 1;
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        return NULL;
}

static bool value_is(const char *v, const char *word) {
        size_t n = strlen(word);

        return v && strncmp(v, word, n) == 0 && (v[n] == '\n' || v[n] == '\0');
}

/**
 * evidence_leader_is() - does a logind session file name @pid its leader?
 * @text: the file's contents
 * @pid: our process
 *
 * Return: true on LEADER=@pid.
 */
bool evidence_leader_is(const char *text, int pid) {
        const char *v = line_value(text, "LEADER");
        uint64_t leader;

        return v && parse_dec(v, &leader) && pid > 0 && leader == (uint64_t) pid;
}

/* "/proc/<pid>/sessionid", without stdio (this runs on the watchdog thread). */
static void sessionid_path(int pid, char *buf, size_t size) {
        static const char head[] = "/proc/", tail[] = "/sessionid";
        char digits[12];
        size_t n = 0, len = sizeof(head) - 1;

        do
                digits[n++] = (char) ('0' + pid % 10);
        while ((pid /= 10) > 0 && n < sizeof(digits));
        memcpy(buf, head, len);
        while (n > 0 && len < size - sizeof(tail))
                buf[len++] = digits[--n];
        memcpy(buf + len, tail, sizeof(tail));
}

/* logind names a session after the caller's audit session when there is
 * one: then one file tells. The caller is @e->pid, which need not be us
 * (guardd watches the call of another process). */
static bool taken_by_audit_id(const Evidence *e, int dir_fd, char *buf, size_t size) {
        char name[24], path[40];
        uint64_t id;

        if (e->pid <= 0)
                return false;
        sessionid_path(e->pid, path, sizeof(path));
        if (read_at(-100 /* AT_FDCWD */, path, name, sizeof(name)) <= 0 ||
            !parse_dec(name, &id) || id == AUDIT_SESSION_UNSET)
                return false;
        name[strcspn(name, "\n")] = '\0';
        return read_at(dir_fd, name, buf, size) > 0 && evidence_leader_is(buf, e->pid);
}

static bool session_file_candidate(int dir_fd, const char *name, int64_t since) {
        size_t n = strlen(name);
        struct stat st = {}; /* filled by a raw system call analyzers cannot see */

        if (name[0] == '.' || (n > 4 && strcmp(name + n - 4, ".ref") == 0))
                return false;
        return raw_fstatat(dir_fd, name, &st) == 0 && S_ISREG(st.st_mode) &&
               (int64_t) st.st_mtim.tv_sec >= since;
}

static bool taken_by_scan(const Evidence *e, int dir_fd, char *buf, size_t size, char *dents,
                          size_t dsize) {
        for (;;) {
                long n = raw_getdents64(dir_fd, dents, dsize);

                if (n <= 0)
                        return false;
                for (long off = 0; off < n;) {
                        const struct dirent64 *d = (const struct dirent64 *) (dents + off);

                        off += d->d_reclen;
                        if (session_file_candidate(dir_fd, d->d_name, e->since_sec) &&
                            read_at(dir_fd, d->d_name, buf, size) > 0 &&
                            evidence_leader_is(buf, e->pid))
                                return true;
                }
        }
}

/**
 * evidence_session_taken() - has logind taken our CreateSession? It has
 * when one of its session files, written since the call began, names our
 * process as the leader.
 * @e: what to look for
 * @buf: scratch for one file
 * @size: its size
 * @dents: scratch for getdents64()
 * @dsize: its size
 *
 * Return: true when logind is working on our session.
 */
bool evidence_session_taken(const Evidence *e, char *buf, size_t size, char *dents, size_t dsize) {
        int dir_fd;
        bool taken;

        dir_fd = raw_openat(-100 /* AT_FDCWD */, e->sessions_dir,
                            O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dir_fd < 0)
                return false;
        taken = taken_by_audit_id(e, dir_fd, buf, size) ||
                taken_by_scan(e, dir_fd, buf, size, dents, dsize);
        raw_close(dir_fd);
        return taken;
}

/**
 * evidence_pid1_stopped() - is PID 1 stopped (state T or t)?
 * @buf: scratch
 * @size: its size (512 is plenty)
 *
 * Return: true when it is.
 */
bool evidence_pid1_stopped(char *buf, size_t size) {
        long n = read_at(-100 /* AT_FDCWD */, "/proc/1/stat", buf, size);
        const char *close = NULL;

        for (long i = 0; i < n; i++)
                if (buf[i] == ')')
                        close = buf + i;
        return close && close[1] == ' ' && (close[2] == 'T' || close[2] == 't');
}

static bool status_trusted(int fd, uid_t owner) {
        struct stat st = {}; /* filled by a raw system call analyzers cannot see */

        return raw_fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
               (st.st_uid == 0 || st.st_uid == owner) && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

/**
 * evidence_status_pid1_stuck() - does guardd's fresh status say PID 1 is
 * stuck or stopped?
 * @e: where the status is and how old it may be
 * @buf: scratch for the file (its size caps what is read)
 * @size: its size
 *
 * Return: true when a trusted, fresh status says so.
 */
bool evidence_status_pid1_stuck(const Evidence *e, char *buf, size_t size) {
        const char *written, *pid1;
        uint64_t when, now = 0;
        int fd;

        fd = raw_openat(-100 /* AT_FDCWD */, e->status_path,
                        O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return false;
        if (!status_trusted(fd, e->owner)) {
                raw_close(fd);
                return false;
        }
        (void) read_and_close(fd, buf, size);
        if (strncmp(buf, "FORMAT=1\n", 9) != 0 || raw_clock_monotonic(&now) < 0)
                return false;
        written = line_value(buf, "WRITTEN_MONOTONIC_USEC");
        if (!written || !parse_dec(written, &when) || when > now || now - when > e->max_age_usec)
                return false;
        pid1 = line_value(buf, "PID1");
        return value_is(pid1, "stuck") || value_is(pid1, "stopped");
}

/**
 * evidence_judge() - why a cut of @e->pid's call now would not be clean.
 * @e: what to look for; NULL: nothing to wait for (close_session)
 * @buf: scratch for one file (a status file's size)
 * @size: its size
 * @dents: scratch for getdents64()
 * @dsize: its size
 *
 * Return: 0 when a cut would be clean, else GuardWait bits.
 */
unsigned evidence_judge(const Evidence *e, char *buf, size_t size, char *dents, size_t dsize) {
        if (!e)
                return 0;
        if (evidence_session_taken(e, buf, size, dents, dsize))
                return GUARD_WAIT_TAKEN;
        if (evidence_pid1_stopped(buf, MIN(size, EVIDENCE_PID1_STAT_MAX)) ||
            evidence_status_pid1_stuck(e, buf, size))
                return GUARD_WAIT_PID1;
        return 0;
}
