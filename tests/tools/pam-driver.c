/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs one PAM service from a private directory (pam_start_confdir(), no
 * /etc/pam.d change) and prints what tests assert on, one key=value a
 * line: return codes, elapsed microseconds, the PAM environment after
 * open_session, messages the modules showed, and the process's open fds
 * and threads before pam_start() and after pam_end().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io-util.h"
#include "macro.h"
#include "parse-util.h"

static const struct {
        int code;
        const char *name;
} pam_names[] = {
        { PAM_SUCCESS, "PAM_SUCCESS" },
        { PAM_IGNORE, "PAM_IGNORE" },
        { PAM_SESSION_ERR, "PAM_SESSION_ERR" },
        { PAM_SYSTEM_ERR, "PAM_SYSTEM_ERR" },
        { PAM_BUF_ERR, "PAM_BUF_ERR" },
        { PAM_PERM_DENIED, "PAM_PERM_DENIED" },
        { PAM_AUTH_ERR, "PAM_AUTH_ERR" },
        { PAM_USER_UNKNOWN, "PAM_USER_UNKNOWN" },
        { PAM_ABORT, "PAM_ABORT" },
        { PAM_MODULE_UNKNOWN, "PAM_MODULE_UNKNOWN" },
};

static const char *pam_name(int code) {
        for (size_t i = 0; i < ELEMENTSOF(pam_names); i++)
                if (pam_names[i].code == code)
                        return pam_names[i].name;
        return "PAM_OTHER";
}

static int count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        int n = 0;

        if (!d)
                return -1;
        while (readdir(d))
                n++;
        closedir(d);
        return n - 3; /* ".", ".." and the directory's own fd */
}

static int count_threads(void) {
        char line[256];
        FILE *f = fopen("/proc/self/status", "re");
        int n = -1;

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "Threads:", 8) == 0)
                        n = atoi(line + 8);
        fclose(f);
        return n;
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
        struct pam_response *r = calloc((size_t) n, sizeof(*r));

        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                const char *kind = msg[i]->msg_style == PAM_TEXT_INFO   ? "info"
                                   : msg[i]->msg_style == PAM_ERROR_MSG ? "error"
                                                                        : "prompt";
                printf("msg.%s=%s\n", kind, msg[i]->msg);
        }
        *resp = r;
        return PAM_SUCCESS;
}

static void print_env(pam_handle_t *pamh) {
        char **env = pam_getenvlist(pamh);

        if (!env)
                return;
        for (char **e = env; *e; e++) {
                printf("env.%s\n", *e);
                free(*e);
        }
        free(env);
}

typedef struct Args {
        const char *confdir, *service, *user, *tty, *rhost;
        const char *side; /* a second thread connects here during open_session */
        uint64_t sockets; /* socketpairs held open before pam_start() */
        const char *hold; /* after open: create HOLD.open, close once HOLD exists */
        const char *go; /* before open: create GO.ready, open once a byte arrives on FIFO GO */
        const char *maps; /* after each round: how many of our mappings name this */
        const char *overlap; /* a second handle on this service, open while the first closes */
        bool do_open, do_close, silent;
        uint64_t repeat;
} Args;

/* Like a threaded PAM application: another thread opens its own unrelated
 * connection while the module runs; it must never be cut. */
typedef struct Side {
        const char *path;
        int fd;
        volatile int stop;
} Side;

static void *side_main(void *userdata) {
        Side *s = userdata;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        (void) snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);
        (void) usleep(20000); /* connect while the wrapped call runs */
        s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s->fd >= 0 && connect(s->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                (void) close(s->fd);
                s->fd = -1;
        }
        return NULL;
}

/* A connection that was shut down reads EOF (or fails) at once; a live
 * one to a silent listener would block, so poll it. */
static int side_was_cut(int fd) {
        char c;
        ssize_t n;

        if (fd < 0)
                return -1;
        n = recv(fd, &c, 1, MSG_DONTWAIT);
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* @n sockets: n / 2 connected pairs. */
static int hold_sockets(uint64_t n) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < n + 1024) {
                rl.rlim_cur = MAX(rl.rlim_max, n + 1024);
                rl.rlim_max = rl.rlim_cur;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        return -1;
        }
        for (uint64_t i = 0; i < n / 2; i++) {
                int sv[2];

                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                        return -1;
        }
        return 0;
}

/* Lets a test change the world (freeze logind, say) between open and close. */
static void hold_session(const char *path) {
        char marker[512];
        FILE *f;

        (void) snprintf(marker, sizeof(marker), "%s.open", path);
        f = fopen(marker, "we");
        if (f)
                (void) fclose(f);
        for (unsigned i = 0; i < 12000 && access(path, F_OK) < 0; i++)
                (void) usleep(10000);
}

/* Lets a test start the process first and the call at a moment of its
 * choosing (just after it stopped guardd, say): the start-up of a process
 * takes a loaded machine hundreds of milliseconds, a FIFO's wake-up does not. */
static void wait_go(const char *fifo) {
        char marker[512], c;
        int fd;
        FILE *f;

        (void) snprintf(marker, sizeof(marker), "%s.ready", fifo);
        f = fopen(marker, "we");
        if (f)
                (void) fclose(f);
        fd = open(fifo, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        if (read(fd, &c, 1) < 0)
                fprintf(stderr, "pam-driver: reading %s: %m\n", fifo);
        (void) close(fd);
}

/* Page faults so far: on a VM where one costs 10+ us they are a large
 * part of what a module adds to a login (bench/floor.sh). */
static long minor_faults(void) {
        struct rusage ru;

        return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : 0;
}

/* Lines of /proc/self/maps naming @what: what a process that runs many
 * PAM transactions keeps mapped after each (test-watch). */
static int count_maps(const char *what) {
        char line[1024];
        int n = 0;
        FILE *f = fopen("/proc/self/maps", "re");

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strstr(line, what))
                        n++;
        (void) fclose(f);
        return n;
}

/* A second handle of the same process, opened after the round's own and
 * closed after it: two handles' sessions at once, as in a server that
 * logs in several users, each with its own module state (test-target). */
static pam_handle_t *overlap_open(const Args *a) {
        static struct pam_conv c = { .conv = conv };
        pam_handle_t *pamh = NULL;
        int rc = pam_start_confdir(a->overlap, a->user, &c, a->confdir, &pamh);

        if (rc == PAM_SUCCESS)
                rc = pam_open_session(pamh, 0);
        printf("overlap_open_rc=%s\n", pam_name(rc));
        return pamh;
}

static void overlap_close(pam_handle_t *pamh) {
        int rc;

        if (!pamh)
                return;
        rc = pam_close_session(pamh, 0);
        printf("overlap_close_rc=%s\n", pam_name(rc));
        pam_end(pamh, rc);
}

static int one_round(const Args *a, unsigned round) {
        struct pam_conv c = { .conv = conv };
        pam_handle_t *pamh = NULL, *second = NULL;
        int flags = a->silent ? PAM_SILENT : 0, rc;
        uint64_t t, t_start, cpu_start;
        long flt_start;

        printf("round=%u\npid=%ld\nfds_before=%d\nthreads_before=%d\n", round, (long) getpid(),
               count_fds(), count_threads());
        flt_start = minor_faults();
        t_start = now_usec(CLOCK_MONOTONIC);
        /* After the wall clock: a new process's first clock_gettime() maps
         * the vDSO's data page, 30 us of CPU time here that is neither
         * libpam's nor a module's. */
        cpu_start = now_usec(CLOCK_PROCESS_CPUTIME_ID);
        rc = pam_start_confdir(a->service, a->user, &c, a->confdir, &pamh);
        if (rc != PAM_SUCCESS) {
                printf("start_rc=%s\n", pam_name(rc));
                return 1;
        }
        printf("start_usec=%llu\n", (unsigned long long) (now_usec(CLOCK_MONOTONIC) - t_start));
        if (a->tty)
                (void) pam_set_item(pamh, PAM_TTY, a->tty);
        if (a->rhost)
                (void) pam_set_item(pamh, PAM_RHOST, a->rhost);
        if (a->go)
                wait_go(a->go);
        if (a->do_open) {
                Side side = { .path = a->side, .fd = -1 };
                pthread_t st;

                if (a->side && pthread_create(&st, NULL, side_main, &side) != 0)
                        side.path = NULL;
                t = now_usec(CLOCK_MONOTONIC);
                rc = pam_open_session(pamh, flags);
                printf("open_usec=%llu\nopen_rc=%s\n",
                       (unsigned long long) (now_usec(CLOCK_MONOTONIC) - t), pam_name(rc));
                if (side.path) {
                        (void) pthread_join(st, NULL);
                        printf("side_connected=%d\nside_cut=%d\n", side.fd >= 0,
                               side_was_cut(side.fd));
                }
                print_env(pamh);
                fflush(stdout);
        }
        if (a->overlap)
                second = overlap_open(a);
        if (a->hold)
                hold_session(a->hold);
        if (a->do_close) {
                t = now_usec(CLOCK_MONOTONIC);
                rc = pam_close_session(pamh, flags);
                printf("close_usec=%llu\nclose_rc=%s\n",
                       (unsigned long long) (now_usec(CLOCK_MONOTONIC) - t), pam_name(rc));
        }
        t = now_usec(CLOCK_MONOTONIC);
        pam_end(pamh, rc);
        printf("end_usec=%llu\n", (unsigned long long) (now_usec(CLOCK_MONOTONIC) - t));
        overlap_close(second);
        printf("total_usec=%llu\n", (unsigned long long) (now_usec(CLOCK_MONOTONIC) - t_start));
        /* The process's own CPU time, without the wait for logind's reply:
         * what a module adds, apart from the bus's noise (bench/floor.sh). */
        printf("cpu_usec=%llu\n", (unsigned long long) (now_usec(CLOCK_PROCESS_CPUTIME_ID) - cpu_start));
        printf("minflt=%ld\n", minor_faults() - flt_start);
        printf("fds_after=%d\nthreads_after=%d\n", count_fds(), count_threads());
        if (a->maps)
                printf("maps=%d\n", count_maps(a->maps));
        fflush(stdout);
        return 0;
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                { "confdir", required_argument, NULL, 'c' },
                { "service", required_argument, NULL, 's' },
                { "user", required_argument, NULL, 'u' },
                { "tty", required_argument, NULL, 't' },
                { "rhost", required_argument, NULL, 'h' },
                { "ops", required_argument, NULL, 'o' },
                { "repeat", required_argument, NULL, 'n' },
                { "silent", no_argument, NULL, 'S' },
                { "hold", required_argument, NULL, 'H' },
                { "go", required_argument, NULL, 'G' },
                { "side", required_argument, NULL, 'D' },
                { "sockets", required_argument, NULL, 'k' },
                { "maps", required_argument, NULL, 'm' },
                { "overlap", required_argument, NULL, 'O' },
                {},
        };
        Args a = { .user = "root", .do_open = true, .do_close = true, .repeat = 1 };
        int c;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
                switch (c) {
                case 'c': a.confdir = optarg; break;
                case 's': a.service = optarg; break;
                case 'u': a.user = optarg; break;
                case 't': a.tty = optarg; break;
                case 'h': a.rhost = optarg; break;
                case 'o':
                        a.do_open = strstr(optarg, "open") != NULL;
                        a.do_close = strstr(optarg, "close") != NULL;
                        break;
                case 'n':
                        if (parse_u64(optarg, &a.repeat) < 0)
                                return 2;
                        break;
                case 'S': a.silent = true; break;
                case 'H': a.hold = optarg; break;
                case 'G': a.go = optarg; break;
                case 'D': a.side = optarg; break;
                case 'm': a.maps = optarg; break;
                case 'O': a.overlap = optarg; break;
                case 'k':
                        if (parse_u64(optarg, &a.sockets) < 0)
                                return 2;
                        break;
                default: return 2;
                }
        if (!a.confdir || !a.service) {
                fprintf(stderr, "usage: pam-driver --confdir DIR --service NAME [--user U] "
                                "[--ops open,close] [--repeat N] [--tty T] [--rhost H] [--silent] "
                                "[--hold PATH] [--go FIFO] [--side SOCKET] [--sockets N] "
                                "[--maps SUBSTR] [--overlap SERVICE]\n");
                return 2;
        }
        if (a.sockets > 0 && hold_sockets(a.sockets) < 0) {
                fprintf(stderr, "pam-driver: cannot open %llu sockets\n", (unsigned long long) a.sockets);
                return 1;
        }
        for (uint64_t i = 0; i < a.repeat; i++)
                if (one_round(&a, (unsigned) i) != 0)
                        return 1;
        return 0;
}
