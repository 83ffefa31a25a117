/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The remedy ladder and the drain. A message is taken from the reader's
 * queue in three steps: peek it (with its sender's credentials), append it
 * to the spool, then consume it. Should the reader have taken it itself in
 * between (a reader asleep, not stopped, can wake), what we consume is the
 * next message: then our copy of the first is cut off the spool again and
 * the second kept instead. A message that cannot be kept is sent back to
 * the socket, and counted lost (DEVLOG_LOST) only if even that fails.
 */
#include "devlog-remedy.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
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
#include "status.h"

#define DRAIN_BATCH_MAX 10000U
#define RESUME_RETRY_USEC (10 * USEC_PER_SEC)
#define RESTART_DEADLINE_USEC (10 * USEC_PER_SEC)
/* What guardd sends to see whether the reader reads (debug priority). */
#define MARKER "<31>guardd: loginguard: does the /dev/log reader read again?"

extern char **environ;

typedef struct Message {
        char data[SPOOL_MSG_MAX];
        size_t len;
        SpoolCred cred;
} Message;

static void update_watches(Remedy *r);

void remedy_init(Remedy *r) {
        assert(r);

        *r = (Remedy){ .sock_fd = -EBADF, .out_fd = -EBADF, .check_fd = -EBADF };
        spool_init(&r->spool);
        (void) snprintf(r->last, sizeof(r->last), "none");
}

static void close_fd(int *fd) {
        if (*fd >= 0)
                (void) close(*fd);
        *fd = -EBADF;
}

/* The drained socket's file stays open in the reader: drop the event
 * loop's watch before the descriptor, or the epoll registration outlives
 * close(). */
static void close_drain(Remedy *r) {
        r->drain_source = sd_event_source_disable_unref(r->drain_source);
        close_fd(&r->sock_fd);
        close_fd(&r->check_fd);
}

static void close_replay(Remedy *r) {
        r->replay_source = sd_event_source_disable_unref(r->replay_source);
        close_fd(&r->out_fd);
}

void remedy_done(Remedy *r) {
        assert(r);

        close_replay(r);
        close_drain(r);
        spool_close(&r->spool);
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

/**
 * remedy_start() - the daemon's remedies: attach to the loop, and pick up a
 * spool an earlier guardd left with records still to replay.
 * @r: remedy
 * @event: the loop
 * @c: config
 *
 * Return: 0, or -errno when a spool exists but cannot be used (logged).
 */
int remedy_start(Remedy *r, sd_event *event, const Config *c) {
        int e;

        assert(r);
        assert(c);
        r->event = event;
        (void) snprintf(r->devlog_path, sizeof(r->devlog_path), "%s", c->devlog_path);
        e = spool_open(&r->spool, c->spool_dir, false);
        if (e == -ENOENT)
                return 0;
        if (e < 0)
                return log_error_errno(e, "Cannot use the spool in '%s': %m", c->spool_dir);
        if (!spool_pending(&r->spool)) {
                (void) spool_remove_if_done(&r->spool);
                return 0;
        }
        r->replaying = true;
        log_notice("Resuming the replay of %s at offset %" PRIu64 " of %" PRIu64 ".",
                   r->spool.path, r->spool.replay_off, r->spool.size);
        return 0;
}

/* ---- resume and restart ------------------------------------------------ */

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
        char comm[48];

        if (reader->state != 'T' || now < r->last_resume_usec + RESUME_RETRY_USEC)
                return false;
        r->last_resume_usec = now;
        status_sanitize(reader->comm, comm, sizeof(comm));
        if (kill(reader->pid, SIGCONT) < 0)
                set_result(r, "resume", "SIGCONT to %s (pid %d) failed: %s", comm, (int) reader->pid,
                           strerror(errno));
        else
                set_result(r, "resume", "sent SIGCONT to stopped reader %s (pid %d)", comm,
                           (int) reader->pid);
        return true;
}

static bool try_restart(Remedy *r, DevlogReader *reader, uint64_t now) {
        static char systemctl[] = "systemctl", restart[] = "restart", no_block[] = "--no-block";
        char *argv[] = { systemctl, restart, no_block, reader->unit, NULL };
        char unit[128], comm[48];
        pid_t pid;
        int e;

        if (now < r->last_restart_usec + REMEDY_COOLDOWN_USEC)
                return false;
        r->last_restart_usec = now;
        status_sanitize(reader->unit, unit, sizeof(unit));
        status_sanitize(reader->comm, comm, sizeof(comm));
        if (!strstr(reader->unit, ".service")) {
                set_result(r, "restart", "reader %s (pid %d) runs in no service unit ('%s'), cannot restart it",
                           comm, (int) reader->pid, unit);
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
        set_result(r, "restart", "asked systemd to restart %s (reader pid %d)", unit, (int) reader->pid);
        return true;
}

/* systemctl --no-block returns at once; should it not, it is killed. */
static void reap_restart(Remedy *r, uint64_t now) {
        int status;
        pid_t p;

        if (r->restart_pid <= 0)
                return;
        p = waitpid(r->restart_pid, &status, WNOHANG);
        if (p == r->restart_pid || p < 0) {
                if (p > 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
                        set_result(r, "restart", "systemctl restart failed (status %d)",
                                   WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                r->restart_pid = 0;
                return;
        }
        if (now >= r->restart_started_usec + RESTART_DEADLINE_USEC) {
                (void) kill(r->restart_pid, SIGKILL);
                set_result(r, "restart", "systemctl did not return within %llu s, killed",
                           (unsigned long long) (RESTART_DEADLINE_USEC / USEC_PER_SEC));
        }
}

/* ---- drain -------------------------------------------------------------- */

/* Our own descriptor for the reader's socket, through pidfd_getfd(2). */
static int take_socket(const DevlogReader *reader) {
        _cleanup_close_ int pidfd = -EBADF, fd = -EBADF;
        struct stat st;
        int one = 1;

        pidfd = (int) syscall(SYS_pidfd_open, reader->pid, 0);
        if (pidfd < 0)
                return -errno;
        fd = (int) syscall(SYS_pidfd_getfd, pidfd, reader->fd, 0);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || (uint32_t) st.st_ino != reader->sock_ino)
                return -ESTALE;
        /* The writers' credentials come with each message only with
         * SO_PASSCRED (journald has it already; it changes nothing for a
         * reader that does not ask for ancillary data). */
        (void) setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
        return TAKE_FD(fd);
}

/* One datagram with its credentials; MSG_PEEK leaves it queued. The
 * reader's socket may ask for more than credentials (journald's has
 * SO_TIMESTAMP and SO_PASSSEC too): room for all of it, or the kernel cuts
 * the credentials off. */
static ssize_t receive(int fd, Message *m, int flags) {
        char control[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(struct timeval)) +
                     CMSG_SPACE(256)];
        struct iovec iov = { .iov_base = m->data, .iov_len = sizeof(m->data) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                             .msg_controllen = sizeof(control) };
        ssize_t n;

        n = recvmsg(fd, &mh, flags | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0)
                return -errno;
        m->len = (size_t) n;
        m->cred = (SpoolCred){ .uid = UINT32_MAX, .gid = UINT32_MAX };
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS) {
                        struct ucred u;
                        memcpy(&u, CMSG_DATA(cm), sizeof(u));
                        m->cred = (SpoolCred){ .pid = (uint32_t) u.pid, .uid = u.uid, .gid = u.gid };
                }
        return n;
}

static bool same_message(const Message *a, const Message *b) {
        return a->len == b->len && a->cred.pid == b->cred.pid && a->cred.uid == b->cred.uid &&
               memcmp(a->data, b->data, a->len) == 0;
}

static int send_with_cred(int fd, const Message *m, const SpoolCred *cred);

/* A message taken but not kept goes back where it came from. */
static void give_back(Remedy *r, const Message *m) {
        if (send_with_cred(r->sock_fd, m, &m->cred) < 0) {
                r->lost++;
                set_result(r, "drain", "lost a message: the spool is full and the queue too (%" PRIu64 " lost)",
                           r->lost);
        }
}

static int drain_one(Remedy *r) {
        static Message peeked, taken; /* 64 KiB each: not on the stack */
        uint64_t before = r->spool.size;
        int e;

        if (receive(r->sock_fd, &peeked, MSG_PEEK) < 0)
                return 0; /* empty */
        if (peeked.cred.pid == (uint32_t) getpid() && peeked.len == sizeof(MARKER) - 1 &&
            memcmp(peeked.data, MARKER, peeked.len) == 0) {
                /* Our own "does it read?" marker: dropped, never kept. */
                (void) recv(r->sock_fd, taken.data, sizeof(taken.data), MSG_DONTWAIT);
                return 1;
        }
        e = spool_append(&r->spool, &peeked.cred, peeked.data, peeked.len);
        if (e < 0)
                return e; /* not taken: it stays queued */
        if (receive(r->sock_fd, &taken, 0) < 0) {
                (void) spool_truncate(&r->spool, before); /* the reader took it: not ours */
                return 0;
        }
        if (!same_message(&peeked, &taken)) {
                /* The reader took the peeked one itself: keep the one we hold. */
                (void) spool_truncate(&r->spool, before);
                if (spool_append(&r->spool, &taken.cred, taken.data, taken.len) < 0) {
                        give_back(r, &taken);
                        return -ENOSPC;
                }
        }
        r->spooled++;
        return 1;
}

/* Takes what is queued, never waiting. Called each round and whenever a
 * message arrives, so writers wake as fast as they write. */
static void drain_now(Remedy *r) {
        unsigned n = 0;
        int e = 0;

        if (r->spool_full)
                return;
        for (; n < DRAIN_BATCH_MAX && (e = drain_one(r)) > 0; n++)
                ;
        if (n > 0)
                r->unsynced = true;
        if (e < 0) {
                r->spool_full = true;
                set_result(r, "drain", "the spool %s refused a record (%s): taking nothing more; %" PRIu64 " kept, %" PRIu64 " lost",
                           r->spool.path, strerror(-e), r->spooled, r->lost);
        }
}

/* Once a round: sync the spool and say how far the drain got. */
static void drain_report(Remedy *r) {
        if (!r->unsynced)
                return;
        r->unsynced = false;
        (void) spool_sync(&r->spool);
        if (!r->spool_full)
                set_result(r, "drain", "took %" PRIu64 " messages into %s (%" PRIu64 " lost)",
                           r->spooled, r->spool.path, r->lost);
}

static int on_drain(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Remedy *r = userdata;

        drain_now(r);
        if (r->spool_full)
                update_watches(r);
        return 0;
}

static int start_drain(Remedy *r, const Config *c, const DevlogReader *reader) {
        int e, fd;

        /* The spool first: never take messages we could not keep. */
        if (r->spool.fd < 0) {
                e = spool_open(&r->spool, c->spool_dir, true);
                if (e < 0) {
                        set_result(r, "drain", "spool in '%s' unusable: %s; not draining", c->spool_dir,
                                   strerror(-e));
                        return e;
                }
        }
        fd = take_socket(reader);
        if (fd < 0) {
                (void) spool_remove_if_done(&r->spool);
                set_result(r, "drain", fd == -ENOSYS ? "kernel lacks pidfd_getfd (5.6+): drain skipped"
                                                     : "cannot take the reader's socket: %s",
                           strerror(-fd));
                return fd;
        }
        close_replay(r); /* a pending replay waits for the reader too */
        r->sock_fd = fd;
        r->sock_ino = reader->sock_ino;
        r->draining = true;
        r->checking = r->spool_full = false;
        r->rounds_since_check = 0;
        r->spooled = 0;
        return 0;
}

static void end_drain(Remedy *r, const char *why) {
        drain_report(r);
        close_drain(r);
        r->draining = r->checking = false;
        log_notice("Stopped draining /dev/log: %s; %" PRIu64 " messages to replay.", why,
                   r->spooled);
        r->replaying = spool_pending(&r->spool);
        if (!r->replaying)
                (void) spool_remove_if_done(&r->spool);
}

/* ---- replay ------------------------------------------------------------- */

static int send_with_cred(int fd, const Message *m, const SpoolCred *cred) {
        struct ucred u = { .pid = (pid_t) cred->pid, .uid = cred->uid, .gid = cred->gid };
        char control[CMSG_SPACE(sizeof(u))] = {};
        struct iovec iov = { .iov_base = (void *) (uintptr_t) m->data, .iov_len = m->len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        struct cmsghdr *cm;

        if (cred->pid > 0 && cred->uid != UINT32_MAX) {
                mh.msg_control = control;
                mh.msg_controllen = sizeof(control);
                cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_CREDENTIALS;
                cm->cmsg_len = CMSG_LEN(sizeof(u));
                memcpy(CMSG_DATA(cm), &u, sizeof(u));
        }
        return sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* The writer's credentials; when its process is gone (or guardd may not
 * name another pid), our pid with the writer's uid and gid. Never root's
 * name for somebody else's line: then the message waits in the spool. */
static int replay_send(Remedy *r, const Message *m) {
        SpoolCred own = m->cred;
        int e;

        e = send_with_cred(r->out_fd, m, &m->cred);
        if (e != -ESRCH && e != -EPERM)
                return e;
        own.pid = (uint32_t) getpid();
        e = send_with_cred(r->out_fd, m, &own);
        if (e == 0)
                r->replayed_own_pid++;
        if (e == -EPERM && !r->creds_refused) {
                r->creds_refused = true;
                set_result(r, "drain", "cannot replay with the writers' uid/gid (guardd needs CAP_SETUID, CAP_SETGID): "
                           "%" PRIu64 " bytes wait in %s", r->spool.size - r->spool.replay_off, r->spool.path);
        }
        return e;
}

static void replay_some(Remedy *r) {
        static Message m;

        while (r->budget > 0 && spool_pending(&r->spool)) {
                uint64_t next;
                int e;

                e = spool_read(&r->spool, r->spool.replay_off, &m.cred, m.data, &m.len, &next);
                if (e < 0) {
                        set_result(r, "drain", "spool record at %" PRIu64 " unreadable: %s; stopping the replay",
                                   r->spool.replay_off, strerror(-e));
                        r->replaying = false;
                        return;
                }
                if (replay_send(r, &m) < 0)
                        return; /* EAGAIN: the loop calls again when there is room */
                if (spool_advance(&r->spool, next) < 0 && r->replayed == 0)
                        log_warning("Cannot write the replay's progress next to %s: a guardd "
                                    "restarted now would send some messages twice.", r->spool.path);
                r->replayed++;
                r->budget--;
        }
        if (!spool_pending(&r->spool)) {
                close_replay(r);
                r->replaying = false;
                (void) spool_remove_if_done(&r->spool);
                set_result(r, "drain", "replayed %" PRIu64 " messages into /dev/log (%" PRIu64 " with guardd's pid, their writer gone; %" PRIu64 " lost); spool removed",
                           r->replayed, r->replayed_own_pid, r->lost);
        }
}

static int on_replay(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Remedy *r = userdata;

        replay_some(r);
        update_watches(r);
        return 0;
}

/* Drain as messages arrive (not while pausing to check); replay while the
 * queue has room and the round's budget lasts. */
static void update_watches(Remedy *r) {
        bool drain = r->event && r->draining && !r->checking && !r->spool_full && r->sock_fd >= 0;
        bool replay = r->event && r->replaying && !r->creds_refused && r->budget > 0 && r->out_fd >= 0;

        if (!drain)
                r->drain_source = sd_event_source_disable_unref(r->drain_source);
        else if (!r->drain_source &&
                 sd_event_add_io(r->event, &r->drain_source, r->sock_fd, EPOLLIN, on_drain, r) < 0)
                log_warning("Cannot watch the drained /dev/log socket; draining once a round.");
        if (!replay)
                r->replay_source = sd_event_source_disable_unref(r->replay_source);
        else if (!r->replay_source &&
                 sd_event_add_io(r->event, &r->replay_source, r->out_fd, EPOLLOUT, on_replay, r) < 0)
                log_warning("Cannot watch the /dev/log socket; replaying once a round.");
}

/* ---- the round ---------------------------------------------------------- */

/* The marker: one message of ours into the reader's queue, sent while the
 * drain pauses. */
static void send_marker(Remedy *r) {
        r->marker_sent = false;
        if (r->check_fd < 0)
                r->check_fd = dgram_connect(r->devlog_path);
        if (r->check_fd >= 0)
                r->marker_sent = send(r->check_fd, MARKER, sizeof(MARKER) - 1,
                                      MSG_DONTWAIT | MSG_NOSIGNAL) >= 0;
}

/* The reader took our marker itself: nothing of ours is queued any more. */
static bool marker_taken(const Remedy *r) {
        int queued = -1;

        return r->marker_sent && r->check_fd >= 0 && ioctl(r->check_fd, SIOCOUTQ, &queued) == 0 &&
               queued == 0;
}

/* While draining: every few rounds pause one round, send a marker, and
 * see at the next round whether the reader took it. */
static void drain_round(Remedy *r, const DevlogReader *reader) {
        if (reader->pid <= 0 || reader->sock_ino != r->sock_ino) {
                end_drain(r, "the reader changed");
                return;
        }
        if (r->checking) {
                r->checking = false;
                if (marker_taken(r)) {
                        end_drain(r, "the reader reads again");
                        return;
                }
        } else if (reader->state != 'T' && ++r->rounds_since_check >= REMEDY_CHECK_EVERY) {
                r->rounds_since_check = 0;
                r->checking = true;
                drain_report(r);
                send_marker(r);
                return;
        }
        drain_now(r);
        drain_report(r);
}

static void ladder(Remedy *r, const Config *c, DevlogReader *reader, uint64_t now) {
        if (remedy_listed(c, "resume") && try_resume(r, reader, now))
                return;
        if (remedy_listed(c, "restart") && try_restart(r, reader, now))
                return;
        if (remedy_listed(c, "drain") && reader->pid > 0 && start_drain(r, c, reader) == 0)
                drain_round(r, reader);
}

static void replay_round(Remedy *r, const Config *c, const DevlogProbe *p) {
        if (p->state != DEVLOG_OK) {
                close_replay(r); /* reconnect once the reader is back */
                return;
        }
        /* The pace: devlog_replay_rate messages a second, granted per round. */
        r->budget = MAX(c->devlog_replay_rate * c->interval_usec / USEC_PER_SEC, 1);
        if (r->out_fd < 0)
                r->out_fd = dgram_connect(c->devlog_path);
        if (r->out_fd >= 0 && !r->creds_refused)
                replay_some(r);
}

/**
 * remedy_round() - act on this round's /dev/log state.
 * @r: remedy state (does nothing without remedy_start())
 * @c: config (devlog_remedy, spool_dir, replay rate)
 * @p: the probe (its state judged this round, before any drain)
 * @reader: the reader (state refreshed this round)
 * @now: CLOCK_MONOTONIC usec
 */
void remedy_round(Remedy *r, const Config *c, const DevlogProbe *p, DevlogReader *reader,
                  uint64_t now) {
        if (!r->event)
                return;
        reap_restart(r, now);
        if (r->draining)
                drain_round(r, reader);
        else if (p->state == DEVLOG_STUCK && reader->pid > 0 && strcmp(c->devlog_remedy, "none") != 0)
                ladder(r, c, reader, now);
        else if (r->replaying)
                replay_round(r, c, p);
        update_watches(r);
}

/**
 * remedy_observe() - what the status says about the remedies.
 * @r: remedy state
 * @ret: filled
 */
void remedy_observe(const Remedy *r, RemedyObs *ret) {
        assert(r);
        assert(ret);

        *ret = (RemedyObs){
                .spooled = r->spooled,
                .replayed = r->replayed,
                .pending_bytes = spool_pending(&r->spool) ? r->spool.size - r->spool.replay_off : 0,
                .lost = r->lost,
        };
        (void) snprintf(ret->last, sizeof(ret->last), "%s", r->last);
        (void) snprintf(ret->result, sizeof(ret->result), "%s", r->result);
}
