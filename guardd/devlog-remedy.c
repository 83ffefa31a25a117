/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The remedy ladder. Spool records are a 4-byte length and the datagram;
 * "<spool>.progress" holds the offset replayed so far, rewritten in place
 * after every message. A guardd killed between a send and the progress
 * write repeats that one message when it comes back; every other message
 * arrives exactly once.
 */
#include "devlog-remedy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io-util.h"
#include "log.h"
#include "macro.h"
#include "parse-util.h"

#define DRAIN_BATCH_MAX 100000
#define MSG_MAX 65536

extern char **environ;

void remedy_init(Remedy *r) {
        *r = (Remedy){ .sock_fd = -EBADF,
                       .spool_fd = -EBADF,
                       .replay_fd = -EBADF,
                       .progress_fd = -EBADF,
                       .out_fd = -EBADF };
        (void) snprintf(r->last, sizeof(r->last), "none");
}

static void close_fd(int *fd) {
        if (*fd >= 0)
                (void) close(*fd);
        *fd = -EBADF;
}

static void close_watched(Remedy *r, int *fd) {
        if (*fd >= 0 && r->fd_closing)
                r->fd_closing(*fd, r->userdata);
        close_fd(fd);
}

void remedy_done(Remedy *r) {
        close_watched(r, &r->out_fd);
        close_watched(r, &r->sock_fd);
        close_fd(&r->spool_fd);
        close_fd(&r->replay_fd);
        close_fd(&r->progress_fd);
}

static void set_result(Remedy *r, const char *what, const char *fmt, ...) _printf_(3, 4);
static void set_result(Remedy *r, const char *what, const char *fmt, ...) {
        va_list ap;

        (void) snprintf(r->last, sizeof(r->last), "%s", what);
        va_start(ap, fmt);
        (void) vsnprintf(r->result, sizeof(r->result), fmt, ap);
        va_end(ap);
        log_notice("/dev/log remedy %s: %s", what, r->result);
}

static bool remedy_listed(const Config *c, const char *name) {
        size_t n = strlen(name);

        for (const char *p = c->devlog_remedy; *p;) {
                size_t len = strcspn(p, ",");
                if (len == n && strncmp(p, name, n) == 0)
                        return true;
                p += len + (p[len] == ',');
        }
        return false;
}

static bool try_resume(Remedy *r, DevlogReader *reader, uint64_t now) {
        if (reader->state != 'T' || now < r->last_resume_usec + 10 * USEC_PER_SEC)
                return false;
        r->last_resume_usec = now;
        if (kill(reader->pid, SIGCONT) < 0)
                set_result(r, "resume", "SIGCONT to %s (pid %d) failed: %s", reader->comm,
                           (int) reader->pid, strerror(errno));
        else
                set_result(r, "resume", "sent SIGCONT to stopped reader %s (pid %d)", reader->comm,
                           (int) reader->pid);
        return true;
}

static bool try_restart(Remedy *r, DevlogReader *reader, uint64_t now) {
        static char systemctl[] = "systemctl", restart[] = "restart", no_block[] = "--no-block";
        char *argv[] = { systemctl, restart, no_block, reader->unit, NULL };
        pid_t pid;
        int e;

        if (now < r->last_restart_usec + REMEDY_COOLDOWN_USEC)
                return false;
        r->last_restart_usec = now;
        if (!strstr(reader->unit, ".service")) {
                set_result(r, "restart",
                           "reader %s (pid %d) runs in no service unit ('%s'), cannot restart it",
                           reader->comm, (int) reader->pid, reader->unit);
                return true;
        }
        /* --no-block: systemctl only queues the job; it cannot hang on it. */
        e = posix_spawnp(&pid, "systemctl", NULL, NULL, argv, environ);
        if (e != 0) {
                set_result(r, "restart", "cannot run systemctl: %s", strerror(e));
                return true;
        }
        r->restart_pid = pid;
        r->restart_started_usec = now;
        set_result(r, "restart", "asked systemd to restart %s (reader pid %d)", reader->unit,
                   (int) reader->pid);
        return true;
}

#define RESTART_DEADLINE_USEC (10 * USEC_PER_SEC)

/* systemctl --no-block returns at once; should it not, it is killed. */
static void reap_restart(Remedy *r, uint64_t now) {
        int status;
        pid_t p;

        if (r->restart_pid <= 0)
                return;
        p = waitpid(r->restart_pid, &status, WNOHANG);
        if (p == r->restart_pid) {
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        set_result(r, "restart", "systemctl restart failed (status %d)",
                                   WIFEXITED(status) ? WEXITSTATUS(status)
                                                     : 128 + WTERMSIG(status));
                r->restart_pid = 0;
                return;
        }
        if (p < 0) {
                r->restart_pid = 0;
                return;
        }
        if (now >= r->restart_started_usec + RESTART_DEADLINE_USEC) {
                (void) kill(r->restart_pid, SIGKILL);
                set_result(r, "restart", "systemctl did not return within 10 s, killed");
        }
}

static int open_spool(Remedy *r, const Config *c) {
        struct timespec ts;
        int fd;

        if (mkdir(c->spool_dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        (void) snprintf(r->spool_path, sizeof(r->spool_path), "%s/devlog-%lld-%ld.spool",
                        c->spool_dir, (long long) ts.tv_sec, (long) getpid());
        fd = open(r->spool_path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
                  0600);
        if (fd < 0)
                return -errno;
        r->spool_fd = fd;
        r->spooled = r->spool_bytes = r->dropped = 0;
        return 0;
}

/* Our own descriptor for the reader's socket, through pidfd_getfd(2). */
static int take_socket(const DevlogReader *reader) {
        struct stat st;
        int pidfd, fd;

        pidfd = (int) syscall(SYS_pidfd_open, reader->pid, 0);
        if (pidfd < 0)
                return -errno;
        fd = (int) syscall(SYS_pidfd_getfd, pidfd, reader->fd, 0);
        if (fd < 0) {
                int e = -errno;
                (void) close(pidfd);
                return e;
        }
        (void) close(pidfd);
        if (fstat(fd, &st) < 0 || (uint32_t) st.st_ino != reader->sock_ino) {
                (void) close(fd);
                return -ESTALE;
        }
        return fd;
}

static int start_drain(Remedy *r, const Config *c, const DevlogReader *reader) {
        int e, fd;

        /* The spool first: never take messages we could not keep. */
        e = open_spool(r, c);
        if (e < 0) {
                set_result(r, "drain", "spool dir '%s' unusable: %s; not draining", c->spool_dir,
                           strerror(-e));
                return e;
        }
        fd = take_socket(reader);
        if (fd < 0) {
                close_fd(&r->spool_fd);
                (void) unlink(r->spool_path);
                set_result(r, "drain",
                           fd == -ENOSYS ? "kernel lacks pidfd_getfd (5.6+): drain skipped"
                                         : "cannot take the reader's socket: %s",
                           strerror(-fd));
                return fd;
        }
        r->sock_fd = fd;
        r->sock_ino = reader->sock_ino;
        r->draining = true;
        r->reading_rounds = 0;
        return 0;
}

static int append_record(Remedy *r, const char *buf, size_t n) {
        uint32_t len = (uint32_t) n;
        char rec[4 + MSG_MAX];

        if (r->spool_bytes + sizeof(len) + n > SPOOL_MAX_BYTES) {
                r->dropped++;
                return 0;
        }
        memcpy(rec, &len, sizeof(len));
        memcpy(rec + sizeof(len), buf, n);
        if (loop_write(r->spool_fd, rec, sizeof(len) + n) < 0)
                return -errno;
        r->spool_bytes += sizeof(len) + n;
        r->spooled++;
        return 0;
}

/* Read what is queued, never waiting: MSG_DONTWAIT (the descriptor is
 * shared with the reader, so its flags must not change). Called each
 * round and, through remedy_drain_event(), whenever a message arrives, so
 * that writers are woken as fast as they write, not a queue per round. */
static void drain_now(Remedy *r) {
        char buf[MSG_MAX];
        unsigned n = 0;

        for (; n < DRAIN_BATCH_MAX; n++) {
                ssize_t got = recv(r->sock_fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (got < 0)
                        break;
                if (append_record(r, buf, (size_t) got) < 0) {
                        set_result(r, "drain", "writing '%s' failed: %s", r->spool_path,
                                   strerror(errno));
                        break;
                }
        }
        if (n > 0)
                r->unsynced = true;
}

/* Once a round: sync the spool and say how far the drain got. */
static void drain_report(Remedy *r) {
        if (!r->unsynced)
                return;
        r->unsynced = false;
        (void) fsync(r->spool_fd);
        set_result(r, "drain", "took %" PRIu64 " messages into %s%s", r->spooled, r->spool_path,
                   r->dropped ? " (spool full, some dropped)" : "");
}

/**
 * remedy_drain_fd() - the reader's socket while draining, for the event loop.
 * @r: remedy state
 *
 * Return: the descriptor, or -1 when not draining.
 */
int remedy_drain_fd(const Remedy *r) {
        return r->draining ? r->sock_fd : -1;
}

/**
 * remedy_drain_event() - a message arrived on the drained socket.
 * @r: remedy state
 */
void remedy_drain_event(Remedy *r) {
        if (r->draining)
                drain_now(r);
}

static int open_progress(Remedy *r, const char *spool) {
        char path[640], buf[32] = "";
        ssize_t n;

        (void) snprintf(path, sizeof(path), "%s.progress", spool);
        r->progress_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (r->progress_fd < 0)
                return -errno;
        n = pread(r->progress_fd, buf, sizeof(buf) - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        /* Written right-aligned in a fixed width, so an in-place rewrite
         * never leaves digits of a longer old value behind. */
        if (!*buf || parse_u64(buf + strspn(buf, " "), &r->replay_off) < 0)
                r->replay_off = 0;
        return 0;
}

static int start_replay(Remedy *r, const char *spool) {
        struct stat st;
        int e;

        r->replay_fd = open(spool, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (r->replay_fd < 0 || fstat(r->replay_fd, &st) < 0)
                return -errno;
        e = open_progress(r, spool);
        if (e < 0)
                return e;
        if (spool != r->spool_path)
                (void) snprintf(r->spool_path, sizeof(r->spool_path), "%s", spool);
        r->replay_size = (uint64_t) st.st_size;
        r->replaying = true;
        r->replayed = 0;
        return 0;
}

static void finish_replay(Remedy *r) {
        char path[640];

        close_watched(r, &r->out_fd);
        close_fd(&r->replay_fd);
        close_fd(&r->progress_fd);
        (void) snprintf(path, sizeof(path), "%s.progress", r->spool_path);
        (void) unlink(r->spool_path);
        (void) unlink(path);
        r->replaying = false;
        set_result(r, "drain", "replayed %" PRIu64 " messages into /dev/log; spool removed",
                   r->replayed);
}

/* Sends spooled messages while the queue has room and the round's budget
 * lasts; progress is written after every message. */
static void replay_some(Remedy *r) {
        char buf[MSG_MAX], off[32];

        while (r->budget > 0 && r->replay_off + 4 <= r->replay_size) {
                uint32_t len;

                if (pread(r->replay_fd, &len, sizeof(len), (off_t) r->replay_off) != sizeof(len) ||
                    len > MSG_MAX ||
                    pread(r->replay_fd, buf, len, (off_t) (r->replay_off + 4)) != (ssize_t) len) {
                        r->replay_off = r->replay_size; /* a torn tail: nothing more to send */
                        break;
                }
                if (send(r->out_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                        return; /* EAGAIN: the event loop calls again when there is room */
                r->replay_off += 4 + len;
                r->replayed++;
                r->budget--;
                (void) snprintf(off, sizeof(off), "%20" PRIu64 "\n", r->replay_off);
                if (pwrite(r->progress_fd, off, strlen(off), 0) < 0)
                        break;
        }
        if (r->replay_off + 4 > r->replay_size)
                finish_replay(r);
}

/**
 * remedy_replay_fd() - the socket to wait on for room to replay, or -1 when
 * there is nothing to send now (not replaying, or this round's budget spent).
 * @r: remedy state
 *
 * Return: a descriptor to poll for EPOLLOUT, or -1.
 */
int remedy_replay_fd(const Remedy *r) {
        return r->replaying && r->budget > 0 && r->out_fd >= 0 ? r->out_fd : -1;
}

/**
 * remedy_replay_event() - the reader's queue has room: send on.
 * @r: remedy state
 */
void remedy_replay_event(Remedy *r) {
        if (r->replaying && r->out_fd >= 0)
                replay_some(r);
}

/* The reader reads again: it is not stopped and its queue was writable
 * before this round's drain, two rounds in a row. */
static bool reader_reading(Remedy *r, const DevlogProbe *p, const DevlogReader *reader) {
        bool now_reading = reader->state != 'T' && reader->state != 'D' && reader->state != 0 &&
                           p->state == DEVLOG_OK;

        r->reading_rounds = now_reading ? r->reading_rounds + 1 : 0;
        return r->reading_rounds >= 2;
}

static void end_drain(Remedy *r, const char *why) {
        drain_report(r);
        close_watched(r, &r->sock_fd);
        close_fd(&r->spool_fd);
        r->draining = false;
        log_notice("Stopped draining /dev/log: %s; %" PRIu64 " messages to replay.", why,
                   r->spooled);
        if (r->spooled == 0) {
                (void) unlink(r->spool_path);
                return;
        }
        if (start_replay(r, r->spool_path) < 0)
                set_result(r, "drain", "cannot replay '%s': %s", r->spool_path, strerror(errno));
}

static void ladder(Remedy *r, const Config *c, DevlogReader *reader, uint64_t now) {
        if (remedy_listed(c, "resume") && try_resume(r, reader, now))
                return;
        if (remedy_listed(c, "restart") && try_restart(r, reader, now))
                return;
        if (remedy_listed(c, "drain") && !r->draining && !r->replaying && reader->pid > 0)
                (void) start_drain(r, c, reader);
}

/**
 * remedy_round() - act on this round's /dev/log state.
 * @r: remedy state
 * @c: config (devlog_remedy, spool_dir, replay rate)
 * @p: the probe (its state was judged this round, before any drain)
 * @reader: the reader (state refreshed this round)
 * @now: CLOCK_MONOTONIC usec
 */
void remedy_round(Remedy *r, const Config *c, const DevlogProbe *p, DevlogReader *reader,
                  uint64_t now) {
        reap_restart(r, now);
        if (r->draining) {
                if (reader->pid <= 0 || reader->sock_ino != r->sock_ino)
                        end_drain(r, "the reader changed");
                else if (reader_reading(r, p, reader))
                        end_drain(r, "the reader reads again");
                else {
                        drain_now(r);
                        drain_report(r);
                }
                return;
        }
        if (p->state == DEVLOG_STUCK && reader->pid > 0 && strcmp(c->devlog_remedy, "none") != 0) {
                ladder(r, c, reader, now);
                if (r->draining) {
                        drain_now(r);
                        drain_report(r);
                }
                return;
        }
        if (r->replaying && p->state == DEVLOG_OK) {
                /* The pace: devlog_replay_rate messages a second, granted per round. */
                r->budget = MAX(c->devlog_replay_rate * c->interval_usec / USEC_PER_SEC, 1);
                if (r->out_fd < 0)
                        r->out_fd = dgram_connect(c->devlog_path);
                if (r->out_fd >= 0)
                        replay_some(r);
        } else if (r->replaying)
                close_watched(r, &r->out_fd); /* reconnect once the reader is back */
}

/**
 * remedy_resume_spool() - at start, pick up a spool a previous guardd left.
 * @r: remedy state
 * @c: config
 *
 * Return: 1 when a replay was resumed, 0 when there was none, -errno.
 */
int remedy_resume_spool(Remedy *r, const Config *c) {
        char path[600] = "";
        DIR *d = opendir(c->spool_dir);

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        for (struct dirent *de; (de = readdir(d));) {
                size_t n = strlen(de->d_name);
                if (strncmp(de->d_name, "devlog-", 7) == 0 && n > 6 &&
                    strcmp(de->d_name + n - 6, ".spool") == 0)
                        (void) snprintf(path, sizeof(path), "%s/%s", c->spool_dir, de->d_name);
        }
        closedir(d);
        if (!*path)
                return 0;
        if (start_replay(r, path) < 0)
                return -errno;
        log_notice("Resuming the replay of %s at offset %" PRIu64 ".", path, r->replay_off);
        return 1;
}
