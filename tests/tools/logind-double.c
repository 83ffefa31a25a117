/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A stand-in for systemd-logind on a private bus: owns
 * org.freedesktop.login1 (or --name) and answers CreateSession
 * (uusssssussbssa(sv) -> soshusub, with a FIFO write end as logind 252
 * does), ReleaseSession, ListSessions and Peer.Ping (sd-bus answers that
 * itself). Tests slow it (--delay-ms, blocking like a spinning logind),
 * make it fail (--fail-with), exit (--exit-after) or freeze it (SIGSTOP).
 * Like the real logind it can take a request at once, write the session's
 * state file (--state-dir: STATE=opening, LEADER=<pid>) and answer only
 * later (--reply-after-ms), as logind does while PID 1 starts the scope
 * and user@.service; other requests are served meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "parse-util.h"

#define MAX_SESSIONS 4096

typedef struct Session {
        char id[32];
        unsigned uid;
        int fifo_fd;
        sd_event_source *source;
        sd_bus_message *pending; /* CreateSession not answered yet */
        int pending_wfd;
        sd_event_source *timer;
} Session;

static struct {
        uint64_t delay_ms;
        const char *fail_with;
        uint64_t exit_after;
        const char *log_path;
        const char *ready_path;
        const char *runtime_dir;
        const char *name;
        const char *varlink_path;
        const char *state_dir;
        uint64_t reply_after_ms;
        const char *slow_uids; /* ",1000,1001,": only these get --reply-after-ms; NULL: all */
        unsigned next_id;
        uint64_t created;
        Session sessions[MAX_SESSIONS];
        sd_event *event;
} g = { .name = "org.freedesktop.login1", .runtime_dir = "/tmp" };

static void log_line(const char *fmt, ...) _printf_(1, 2);
static void log_line(const char *fmt, ...) {
        FILE *f;
        va_list ap;

        if (!g.log_path)
                return;
        f = fopen(g.log_path, "ae");
        if (!f)
                return;
        va_start(ap, fmt);
        (void) vfprintf(f, fmt, ap);
        va_end(ap);
        (void) fputc('\n', f);
        (void) fclose(f);
}

static Session *session_find(const char *id) {
        for (size_t i = 0; i < MAX_SESSIONS; i++)
                if (g.sessions[i].fifo_fd > 0 && strcmp(g.sessions[i].id, id) == 0)
                        return &g.sessions[i];
        return NULL;
}

static void state_file_write(const Session *s, unsigned leader) {
        char path[512], tmp[520];
        FILE *f;

        if (!g.state_dir)
                return;
        (void) snprintf(path, sizeof(path), "%s/%s", g.state_dir, s->id);
        (void) snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        f = fopen(tmp, "we");
        if (!f)
                return;
        (void) fprintf(f, "# written by the logind double\nUID=%u\nSTATE=opening\nLEADER=%u\n",
                       s->uid, leader);
        if (fclose(f) == 0)
                (void) rename(tmp, path);
}

static void state_file_remove(const Session *s) {
        char path[512];

        if (!g.state_dir)
                return;
        (void) snprintf(path, sizeof(path), "%s/%s", g.state_dir, s->id);
        (void) unlink(path);
}

static void session_free(Session *s, const char *why) {
        char path[512];

        log_line("%s id=%s", why, s->id);
        state_file_remove(s);
        s->timer = sd_event_source_disable_unref(s->timer);
        s->pending = sd_bus_message_unref(s->pending);
        if (s->pending_wfd >= 0)
                (void) close(s->pending_wfd);
        s->pending_wfd = -1;
        s->source = sd_event_source_disable_unref(s->source);
        (void) close(s->fifo_fd);
        s->fifo_fd = 0;
        (void) snprintf(path, sizeof(path), "%s/%s.ref", g.runtime_dir, s->id);
        (void) unlink(path);
}

static int on_fifo(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        char buf[64];

        if ((revents & EPOLLIN) && read(fd, buf, sizeof(buf)) < 0)
                return 0;
        if (revents & EPOLLHUP)
                session_free(userdata, "SessionClosed");
        return 0;
}

static Session *session_new(unsigned uid, int *ret_write_fd) {
        Session *s = NULL;
        char path[512];
        int rfd, wfd;

        for (size_t i = 0; i < MAX_SESSIONS && !s; i++)
                if (g.sessions[i].fifo_fd <= 0)
                        s = &g.sessions[i];
        if (!s)
                return NULL;
        (void) snprintf(s->id, sizeof(s->id), "c%u", ++g.next_id);
        (void) snprintf(path, sizeof(path), "%s/%s.ref", g.runtime_dir, s->id);
        (void) unlink(path);
        if (mkfifo(path, 0600) < 0)
                return NULL;
        rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        wfd = rfd < 0 ? -1 : open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (wfd < 0) {
                if (rfd >= 0)
                        (void) close(rfd);
                return NULL;
        }
        s->uid = uid;
        s->fifo_fd = rfd;
        s->pending_wfd = -1;
        *ret_write_fd = wfd;
        return s;
}

static int reply_created(sd_bus_message *m, Session *s, int wfd) {
        char opath[128], rpath[64];
        int r;

        (void) snprintf(opath, sizeof(opath), "/org/freedesktop/login1/session/%s", s->id);
        (void) snprintf(rpath, sizeof(rpath), "/run/user/%u", s->uid);
        r = sd_bus_reply_method_return(m, "soshusub", s->id, opath, rpath, wfd, s->uid, "", 0U, 0);
        (void) close(wfd);
        log_line("%s id=%s", r < 0 ? "ReplyFailed" : "Created", s->id);
        return r;
}

static int on_reply_timer(sd_event_source *es, uint64_t usec, void *userdata) {
        Session *s = userdata;
        sd_bus_message *m = TAKE_PTR(s->pending);
        int wfd = TAKE_FD(s->pending_wfd);

        s->timer = sd_event_source_disable_unref(s->timer);
        (void) reply_created(m, s, wfd);
        sd_bus_message_unref(m);
        return 0;
}

/* The leader logind records: the pid argument, or the caller's. */
static unsigned leader_of(sd_bus_message *m, unsigned pid) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        pid_t p = 0;

        if (pid > 0)
                return pid;
        if (sd_bus_query_sender_creds(m, SD_BUS_CREDS_PID, &creds) >= 0)
                (void) sd_bus_creds_get_pid(creds, &p);
        return (unsigned) p;
}

/* One user's own units hanging (their user@UID): logind takes that user's
 * requests and answers late; everybody else's at once. */
static bool uid_is_slow(unsigned uid) {
        char needle[16];

        if (!g.slow_uids)
                return true;
        (void) snprintf(needle, sizeof(needle), ",%u,", uid);
        return strstr(g.slow_uids, needle) != NULL;
}

static int method_create_session(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *service, *type, *class, *desktop, *seat, *tty, *display, *ruser, *rhost;
        unsigned uid, pid, vtnr;
        int remote, wfd = -1, r;
        Session *s;

        r = sd_bus_message_read(m, "uusssssussbss", &uid, &pid, &service, &type, &class, &desktop,
                                &seat, &vtnr, &tty, &display, &remote, &ruser, &rhost);
        if (r >= 0)
                r = sd_bus_message_skip(m, "a(sv)");
        if (r < 0)
                return r;
        log_line(
                "CreateSession uid=%u pid=%u service=%s type=%s class=%s tty=%s remote=%d rhost=%s",
                uid, pid, service, type, class, tty, remote, rhost);
        if (g.fail_with)
                return sd_bus_error_set(error, g.fail_with, "logind double failing on purpose");
        s = session_new(uid, &wfd);
        if (!s)
                return sd_bus_error_set(error, SD_BUS_ERROR_NO_MEMORY, "no session slot");
        (void) sd_event_add_io(g.event, &s->source, s->fifo_fd, EPOLLIN, on_fifo, s);
        state_file_write(s, leader_of(m, pid));
        if (g.reply_after_ms > 0 && uid_is_slow(uid)) {
                log_line("Taken id=%s", s->id);
                s->pending = sd_bus_message_ref(m);
                s->pending_wfd = wfd;
                (void) sd_event_add_time_relative(g.event, &s->timer, CLOCK_MONOTONIC,
                                                  g.reply_after_ms * 1000, 0, on_reply_timer, s);
                return 1;
        }
        r = reply_created(m, s, wfd);
        if (r < 0)
                return r;
        if (g.exit_after && ++g.created >= g.exit_after) {
                log_line("Exiting after %" PRIu64 " sessions", g.created);
                (void) sd_event_exit(g.event, 0);
        }
        return 1;
}

static int method_release_session(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *id;
        Session *s;
        int r;

        r = sd_bus_message_read(m, "s", &id);
        if (r < 0)
                return r;
        log_line("ReleaseSession id=%s", id);
        s = session_find(id);
        if (!s)
                return sd_bus_error_setf(error, "org.freedesktop.login1.NoSuchSession",
                                         "No session '%s' known", id);
        session_free(s, "Released");
        return sd_bus_reply_method_return(m, NULL);
}

static int method_list_sessions(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(susso)");
        for (size_t i = 0; r >= 0 && i < MAX_SESSIONS; i++) {
                char path[128], user[32];
                Session *s = &g.sessions[i];

                if (s->fifo_fd <= 0)
                        continue;
                (void) snprintf(path, sizeof(path), "/org/freedesktop/login1/session/%s", s->id);
                (void) snprintf(user, sizeof(user), "uid%u", s->uid);
                r = sd_bus_message_append(reply, "(susso)", s->id, s->uid, user, "", path);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("CreateSession", "uusssssussbssa(sv)", "soshusub", method_create_session, 0),
        SD_BUS_METHOD("ReleaseSession", "s", "", method_release_session, 0),
        SD_BUS_METHOD("ListSessions", "", "a(susso)", method_list_sessions, 0),
        SD_BUS_VTABLE_END,
};

/* A spinning logind answers nothing, not even Ping, until it gets round
 * to it: block before any method call is dispatched. */
static int delay_filter(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        uint8_t type = 0;

        if (g.delay_ms > 0 && sd_bus_message_get_type(m, &type) >= 0 &&
            type == SD_BUS_MESSAGE_METHOD_CALL) {
                struct timespec ts = { .tv_sec = (time_t) (g.delay_ms / 1000),
                                       .tv_nsec = (long) (g.delay_ms % 1000) * 1000000L };
                (void) nanosleep(&ts, NULL);
        }
        return 0;
}

/* ---- Varlink ---------------------------------------------------------- */

#define VL_BUF_MAX (256 * 1024)

typedef struct VlConn {
        int fd;
        sd_event_source *source;
        char buf[VL_BUF_MAX];
        size_t len;
} VlConn;

/* The raw text after "key": in @json (compact sd-json output), or NULL. */
static const char *json_find(const char *json, const char *key) {
        char pat[80];
        const char *p;

        (void) snprintf(pat, sizeof(pat), "\"%s\":", key);
        p = strstr(json, pat);
        return p ? p + strlen(pat) : NULL;
}

static void json_get_string(const char *json, const char *key, char *buf, size_t size) {
        const char *p = json_find(json, key);
        size_t n = 0;

        buf[0] = '\0';
        if (!p || *p != '"')
                return;
        for (p++; *p && *p != '"' && n + 1 < size; p++) {
                if (*p == '\\' && p[1])
                        p++;
                buf[n++] = *p;
        }
        buf[n] = '\0';
}

static unsigned long json_get_uint(const char *json, const char *key) {
        const char *p = json_find(json, key);

        return p ? strtoul(p, NULL, 10) : 0;
}

static void vl_send(VlConn *c, const char *reply) {
        size_t n = strlen(reply) + 1; /* with the NUL */
        const char *p = reply;

        while (n > 0) {
                ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                p += w;
                n -= (size_t) w;
        }
}

static void vl_create_session(VlConn *c, const char *msg) {
        char service[64], type[32], class[32], tty[64], rhost[128], reply[512];
        unsigned long uid = json_get_uint(msg, "UID");
        int wfd = -1;
        Session *s;

        json_get_string(msg, "Service", service, sizeof(service));
        json_get_string(msg, "Type", type, sizeof(type));
        json_get_string(msg, "Class", class, sizeof(class));
        json_get_string(msg, "TTY", tty, sizeof(tty));
        json_get_string(msg, "RemoteHost", rhost, sizeof(rhost));
        log_line("CreateSession uid=%lu pid=0 service=%s type=%s class=%s tty=%s remote=%d "
                 "rhost=%s via=varlink",
                 uid, service, type, class, tty, strstr(msg, "\"Remote\":true") != NULL, rhost);
        if (g.fail_with) {
                (void) snprintf(reply, sizeof(reply), "{\"error\":\"%s\",\"parameters\":{}}",
                                g.fail_with);
                vl_send(c, reply);
                return;
        }
        s = session_new((unsigned) uid, &wfd);
        if (!s) {
                vl_send(c, "{\"error\":\"io.systemd.Login.NoSessionSlot\",\"parameters\":{}}");
                return;
        }
        /* Over Varlink logind hands out no FIFO; the session lives until released. */
        (void) close(wfd);
        (void) snprintf(reply, sizeof(reply),
                        "{\"parameters\":{\"Id\":\"%s\",\"RuntimePath\":\"/run/user/"
                        "%lu\",\"UID\":%lu,\"VTNr\":0}}",
                        s->id, uid, uid);
        vl_send(c, reply);
        log_line("Created id=%s via=varlink", s->id);
        if (g.exit_after && ++g.created >= g.exit_after)
                (void) sd_event_exit(g.event, 0);
}

static void vl_release_session(VlConn *c, const char *msg) {
        char id[32];
        Session *s;

        json_get_string(msg, "Id", id, sizeof(id));
        log_line("ReleaseSession id=%s via=varlink", id);
        s = session_find(id);
        if (!s) {
                vl_send(c, "{\"error\":\"io.systemd.Login.NoSuchSession\",\"parameters\":{}}");
                return;
        }
        session_free(s, "Released");
        vl_send(c, "{\"parameters\":{}}");
}

static void vl_handle(VlConn *c, const char *msg) {
        char method[128], reply[256];
        bool oneway = strstr(msg, "\"oneway\":true") != NULL;

        if (g.delay_ms > 0) { /* a busy logind answers late, like on D-Bus */
                struct timespec ts = { .tv_sec = (time_t) (g.delay_ms / 1000),
                                       .tv_nsec = (long) (g.delay_ms % 1000) * 1000000L };
                (void) nanosleep(&ts, NULL);
        }
        json_get_string(msg, "method", method, sizeof(method));
        if (strcmp(method, "io.systemd.Login.CreateSession") == 0)
                vl_create_session(c, msg);
        else if (strcmp(method, "io.systemd.Login.ReleaseSession") == 0)
                vl_release_session(c, msg);
        else if (oneway)
                return;
        else if (strcmp(method, "io.systemd.service.Ping") == 0)
                vl_send(c, "{\"parameters\":{}}");
        else {
                (void) snprintf(reply, sizeof(reply),
                                "{\"error\":\"org.varlink.service.MethodNotFound\",\"parameters\":{"
                                "\"method\":\"%s\"}}",
                                method);
                vl_send(c, reply);
        }
}

static void vl_close(VlConn *c) {
        c->source = sd_event_source_disable_unref(c->source);
        (void) close(c->fd);
        free(c);
}

/* Reads what came, closing any fds passed along (pam_systemd sends its pidfd). */
static ssize_t vl_recv(VlConn *c) {
        char control[CMSG_SPACE(sizeof(int) * 16)];
        struct iovec iov = { .iov_base = c->buf + c->len, .iov_len = sizeof(c->buf) - c->len - 1 };
        struct msghdr mh = { .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control,
                             .msg_controllen = sizeof(control) };
        ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm))
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
                        for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
                                (void) close(((int *) CMSG_DATA(cm))[i]);
        return n;
}

static int on_vl_data(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        VlConn *c = userdata;
        ssize_t n = vl_recv(c);
        char *end;

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0 || c->len + (size_t) n >= sizeof(c->buf) - 1) {
                vl_close(c);
                return 0;
        }
        c->len += (size_t) n;
        while ((end = memchr(c->buf, '\0', c->len))) {
                size_t used = (size_t) (end - c->buf) + 1;
                vl_handle(c, c->buf);
                memmove(c->buf, c->buf + used, c->len - used);
                c->len -= used;
        }
        return 0;
}

static int on_vl_accept(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        VlConn *c;

        if (cfd < 0)
                return 0;
        c = calloc(1, sizeof(*c));
        if (!c) {
                (void) close(cfd);
                return 0;
        }
        c->fd = cfd;
        if (sd_event_add_io(g.event, &c->source, cfd, EPOLLIN, on_vl_data, c) < 0) {
                (void) close(cfd);
                free(c);
        }
        return 0;
}

static int varlink_listen(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        (void) unlink(path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 128) < 0 ||
            chmod(path, 0666) < 0) {
                int r = -errno;
                (void) close(fd);
                return r;
        }
        return sd_event_add_io(g.event, NULL, fd, EPOLLIN, on_vl_accept, NULL);
}

static int parse_args(int argc, char **argv) {
        static const struct option opts[] = {
                { "delay-ms", required_argument, NULL, 'd' },
                { "fail-with", required_argument, NULL, 'f' },
                { "exit-after", required_argument, NULL, 'x' },
                { "log", required_argument, NULL, 'l' },
                { "ready", required_argument, NULL, 'r' },
                { "runtime-dir", required_argument, NULL, 'R' },
                { "name", required_argument, NULL, 'n' },
                { "varlink", required_argument, NULL, 'V' },
                { "state-dir", required_argument, NULL, 'S' },
                { "reply-after-ms", required_argument, NULL, 'A' },
                { "slow-uids", required_argument, NULL, 'U' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
                switch (c) {
                case 'd':
                        if (parse_u64(optarg, &g.delay_ms) < 0)
                                return -EINVAL;
                        break;
                case 'f': g.fail_with = optarg; break;
                case 'x':
                        if (parse_u64(optarg, &g.exit_after) < 0)
                                return -EINVAL;
                        break;
                case 'l': g.log_path = optarg; break;
                case 'r': g.ready_path = optarg; break;
                case 'R': g.runtime_dir = optarg; break;
                case 'n': g.name = optarg; break;
                case 'V': g.varlink_path = optarg; break;
                case 'S': g.state_dir = optarg; break;
                case 'A':
                        if (parse_u64(optarg, &g.reply_after_ms) < 0)
                                return -EINVAL;
                        break;
                case 'U': {
                        static char list[256];

                        if (strlen(optarg) + 3 > sizeof(list))
                                return -EINVAL;
                        (void) snprintf(list, sizeof(list), ",%s,", optarg);
                        g.slow_uids = list;
                        break;
                }
                default: return -EINVAL;
                }
        return 0;
}

static void write_ready(void) {
        FILE *f;

        if (!g.ready_path)
                return;
        f = fopen(g.ready_path, "we");
        if (f) {
                (void) fprintf(f, "%ld\n", (long) getpid());
                (void) fclose(f);
        }
}

int main(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (parse_args(argc, argv) < 0) {
                fprintf(stderr,
                        "usage: logind-double [--delay-ms N] [--fail-with ERROR] "
                        "[--exit-after N] [--log FILE] [--ready FILE] [--runtime-dir DIR] "
                        "[--name NAME] [--varlink PATH] [--state-dir DIR] [--reply-after-ms N] "
                        "[--slow-uids UID,...]\n");
                return 2;
        }
        r = sd_event_default(&g.event);
        if (r >= 0)
                r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_add_filter(bus, NULL, delay_filter, NULL);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/login1",
                                             "org.freedesktop.login1.Manager", manager_vtable,
                                             NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, g.name, 0);
        if (r >= 0)
                r = sd_bus_attach_event(bus, g.event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0 && g.varlink_path)
                r = varlink_listen(g.varlink_path);
        if (r < 0) {
                fprintf(stderr, "logind-double: setup failed: %s\n", strerror(-r));
                return 1;
        }
        log_line("Ready name=%s pid=%ld", g.name, (long) getpid());
        write_ready();
        r = sd_event_loop(g.event);
        g.event = sd_event_unref(g.event);
        return r < 0 ? 1 : 0;
}
