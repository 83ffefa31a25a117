/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guardd: watches logind, PID 1, the bus and /dev/log with a deadline on
 * every probe, and publishes /run/loginguard/status for pam_loginguard and
 * `guardd status` for on-call.
 *
 *   guardd [--config PATH] [--foreground]
 *   guardd --once [--config PATH]
 *   guardd status [--status PATH] [--json | --nagios | --prometheus]
 *   guardd check-config [--config PATH]
 *   guardd --version
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "breaker-file.h"
#include "io-util.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "output.h"
#include "parse-util.h"
#include "probe-proc.h"

#ifndef LOGINGUARD_VERSION
#define LOGINGUARD_VERSION "unknown"
#endif

/* Usage errors: 2 for the daemon commands (LSB), 3 (UNKNOWN) for
 * `guardd status`, as the monitoring-plugin guidelines want. */
#define EXIT_USAGE 2

typedef enum Command { CMD_RUN, CMD_ONCE, CMD_STATUS, CMD_CHECK_CONFIG, CMD_VERSION } Command;

typedef struct Args {
        Command command;
        const char *config;
        const char *status;
        OutputMode mode;
        bool help;
        char error[160]; /* a usage error, said once by main() */
} Args;

static void help(void) {
        printf("Usage:\n"
               "  guardd [--config PATH] [--foreground]     run the daemon\n"
               "  guardd --once [--config PATH]             one round, write the status, print it\n"
               "  guardd status [--status PATH] [--json | --nagios | --prometheus]\n"
               "  guardd check-config [--config PATH]\n"
               "  guardd --version\n"
               "status exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (missing or stale)\n");
}

/* `status` may come anywhere among the options. */
static bool wants_status(int argc, char **argv) {
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "status") == 0)
                        return true;
        return false;
}

static int parse_command(int argc, char **argv, Args *a) {
        if (optind >= argc)
                return 0;
        if (strcmp(argv[optind], "status") == 0) {
                /* `guardd status --version`: the version, as with any command. */
                if (a->command != CMD_VERSION)
                        a->command = CMD_STATUS;
        } else if (strcmp(argv[optind], "check-config") == 0) {
                if (a->command != CMD_VERSION)
                        a->command = CMD_CHECK_CONFIG;
        } else {
                (void) snprintf(a->error, sizeof(a->error), "unknown command '%s'", argv[optind]);
                return -EINVAL;
        }
        if (optind + 1 < argc) {
                (void) snprintf(a->error, sizeof(a->error), "unexpected argument '%s'",
                                argv[optind + 1]);
                return -EINVAL;
        }
        return 0;
}

static int parse_argv(int argc, char **argv, Args *a) {
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' },
                { "status", required_argument, NULL, 's' },
                { "foreground", no_argument, NULL, 'f' },
                { "once", no_argument, NULL, 'o' },
                { "json", no_argument, NULL, 'j' },
                { "nagios", no_argument, NULL, 'n' },
                { "prometheus", no_argument, NULL, 'p' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        int c;

        opterr = 0; /* our own messages: one line, the plugin's way for `status` */
        while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) >= 0)
                switch (c) {
                case 'c': a->config = optarg; break;
                case 's': a->status = optarg; break;
                case 'f': break; /* guardd never forks: systemd supervises it */
                case 'o': a->command = CMD_ONCE; break;
                case 'j': a->mode = OUTPUT_JSON; break;
                case 'n': a->mode = OUTPUT_NAGIOS; break;
                case 'p': a->mode = OUTPUT_PROMETHEUS; break;
                case 'h': a->help = true; break;
                case 'V': a->command = CMD_VERSION; break;
                default:
                        (void) snprintf(a->error, sizeof(a->error), "unknown or incomplete option '%s'",
                                        argv[optind - 1]);
                        return -EINVAL;
                }
        return parse_command(argc, argv, a);
}

/* A monitor reading a truncated answer must not take it for a state. */
/* The monitoring-plugin exit codes, except for --prometheus: metrics that
 * were printed are a success whatever they say (the state is in them), so
 * `guardd status --prometheus > f.tmp && mv f.tmp f.prom` keeps working
 * during an incident, when it matters. */
static int render_checked(const OutputContext *c, OutputMode mode) {
        int state = output_render(c, mode, stdout);

        if (fflush(stdout) != 0 || ferror(stdout))
                return STATE_UNKNOWN;
        return mode == OUTPUT_PROMETHEUS ? 0 : state;
}

static int check_config(const Args *a) {
        Config c;

        if (manager_load_config(a->config, &c) < 0)
                return 1;
        printf("%s: ok\n", a->config ? a->config : "configuration (defaults and " CONFIG_DEFAULT_PATH ")");
        return 0;
}

static void read_wchan(pid_t pid, char *buf, size_t size) {
        _cleanup_close_ int fd = -EBADF;
        char path[64];
        ssize_t n;

        buf[0] = '\0';
        (void) snprintf(path, sizeof(path), "/proc/%d/wchan", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        n = read_full(fd, buf, size - 1);
        buf[n > 0 ? n : 0] = '\0';
}

/* A stale status: is the guardd that wrote it gone, or alive but stuck? */
static void check_liveness(const Status *s, OutputContext *c) {
        uint64_t pid;
        ProcStat ps;

        c->liveness = GUARDD_GONE;
        if (status_get_u64(s, "GUARDD_PID", &pid) < 0 || pid == 0 || pid > INT32_MAX)
                return;
        if (proc_read_stat((pid_t) pid, &ps) < 0 || strcmp(ps.comm, "guardd") != 0)
                return; /* gone, or the pid is somebody else's now */
        c->liveness = GUARDD_ALIVE;
        c->guardd_state = ps.state;
        read_wchan((pid_t) pid, c->guardd_wchan, sizeof(c->guardd_wchan));
}

/* `guardd status` reads only the file: it answers even when the bus,
 * logind or guardd itself are stuck. */
static int show_status(const Args *a) {
        _cleanup_(status_freep) Status *s = NULL;
        OutputContext c = {};
        ConfigError e = {};
        const char *used;
        Config cfg;
        unsigned line = 0;
        uint64_t interval = 0, max_age;
        int r;

        config_init(&cfg);
        if (!a->status)
                (void) config_load(&cfg, a->config, geteuid(), &used, &e);
        c.path = a->status ? a->status : cfg.status_path;
        r = status_read(c.path, geteuid(), &s, &line);
        if (r != 0) {
                c.problem = r == -ENOENT ? "is missing" : r < 0 ? strerror(-r) : status_strerror(r);
                return render_checked(&c, a->mode);
        }
        c.status = s;
        (void) status_get_u64(s, "INTERVAL_USEC", &interval);
        /* Stale: three missed rounds, and never less than the module's max_age. */
        max_age = MAX(3 * interval, cfg.max_age_usec);
        r = status_check_fresh(s, now_usec(CLOCK_MONOTONIC), max_age, &c.age_usec);
        c.stale = r != 0;
        if (c.stale)
                check_liveness(s, &c);
        return render_checked(&c, a->mode);
}

static int run_once(const Args *a) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(status_freep) Status *s = NULL;
        OutputContext c;

        if (manager_new(a->config, &m) < 0 || manager_once(m, &s) < 0)
                return STATE_UNKNOWN;
        c = (OutputContext){ .status = s, .path = m->config.status_path };
        return render_checked(&c, a->mode);
}

static int run_daemon(const Args *a) {
        _cleanup_(manager_freep) Manager *m = NULL;

        if (manager_new(a->config, &m) < 0 || manager_start(m) < 0)
                return 1;
        return manager_run(m) < 0 ? 1 : 0;
}

/* The boot id the breaker files carry is the one the logins see: PID 1's
 * namespace's (breaker_boot_id_from()). Where that is not readable (not
 * root), guardd's own. */
static void use_logins_boot_id(void) {
        static const char pid1s[] = "/proc/1/root/proc/sys/kernel/random/boot_id";
        uint8_t id[16];

        breaker_boot_id_from(pid1s);
        if (breaker_boot_id(id) < 0)
                breaker_boot_id_from("/proc/sys/kernel/random/boot_id");
}

int main(int argc, char **argv) {
        Args a = { .command = CMD_RUN, .mode = OUTPUT_HUMAN };
        bool status = wants_status(argc, argv);

        log_setup();
        use_logins_boot_id();
        if (parse_argv(argc, argv, &a) < 0) {
                if (!status) {
                        log_error("%s; see guardd --help.", a.error);
                        return EXIT_USAGE;
                }
                output_nagios_usage(stdout, a.error);
                return STATE_UNKNOWN;
        }
        if (a.help) {
                help();
                return 0;
        }
        switch (a.command) {
        case CMD_VERSION: printf("guardd (loginguard) %s\n", LOGINGUARD_VERSION); return 0;
        case CMD_STATUS: return show_status(&a);
        case CMD_CHECK_CONFIG: return check_config(&a);
        case CMD_ONCE: return run_once(&a);
        default: return run_daemon(&a);
        }
}
