/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guardd: watches logind, the bus and /dev/log with a deadline on every
 * probe, and publishes /run/loginguard/status for pam_loginguard and
 * `guardd status` for on-call.
 *
 *   guardd [--config PATH] [--foreground]
 *   guardd --once [--config PATH]
 *   guardd status [--status PATH] [--json | --nagios | --prometheus]
 *   guardd check-config [--config PATH]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "io-util.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "output.h"

typedef enum Command { CMD_RUN, CMD_ONCE, CMD_STATUS, CMD_CHECK_CONFIG } Command;

typedef struct Args {
        Command command;
        const char *config;
        const char *status;
        OutputMode mode;
} Args;

static void help(void) {
        printf("Usage:\n"
               "  guardd [--config PATH] [--foreground]     run the daemon\n"
               "  guardd --once [--config PATH]             one round, write the status, print it\n"
               "  guardd status [--status PATH] [--json | --nagios | --prometheus]\n"
               "  guardd check-config [--config PATH]\n"
               "status exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (missing or stale)\n");
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
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) >= 0)
                switch (c) {
                case 'c': a->config = optarg; break;
                case 's': a->status = optarg; break;
                case 'f': break; /* guardd never forks: systemd supervises it */
                case 'o': a->command = CMD_ONCE; break;
                case 'j': a->mode = OUTPUT_JSON; break;
                case 'n': a->mode = OUTPUT_NAGIOS; break;
                case 'p': a->mode = OUTPUT_PROMETHEUS; break;
                case 'h': help(); return 0;
                default: return -EINVAL;
                }
        if (optind < argc) {
                if (strcmp(argv[optind], "status") == 0)
                        a->command = CMD_STATUS;
                else if (strcmp(argv[optind], "check-config") == 0)
                        a->command = CMD_CHECK_CONFIG;
                else
                        return log_error("Unknown command '%s'; see guardd --help.", argv[optind]),
                               -EINVAL;
                if (optind + 1 < argc)
                        return log_error("Unexpected argument '%s'.", argv[optind + 1]), -EINVAL;
        }
        return 1;
}

/* A monitor reading a truncated answer must not take it for a state. */
static int render_checked(const OutputContext *c, OutputMode mode) {
        int state = output_render(c, mode, stdout);

        if (fflush(stdout) != 0 || ferror(stdout))
                return STATE_UNKNOWN;
        return state;
}

static int check_config(const Args *a) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        r = manager_new(a->config, &m);
        if (r < 0)
                return 1;
        printf("%s: ok\n",
               a->config ? a->config : "configuration (defaults and " CONFIG_DEFAULT_PATH ")");
        return 0;
}

/* `guardd status` reads only the file: it answers even when the bus,
 * logind or guardd itself are stuck. */
static int show_status(const Args *a) {
        _cleanup_(status_freep) Status *s = NULL;
        OutputContext c = {};
        Config cfg;
        unsigned line = 0;
        uint64_t interval = 0, max_age;
        int r;

        config_init(&cfg);
        if (!a->status) {
                ConfigError e = {};
                if (a->config)
                        (void) config_load_file(&cfg, a->config, geteuid(), &e);
                else {
                        const char *used;
                        (void) config_load_default(&cfg, geteuid(), &used, &e);
                }
        }
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
        return render_checked(&c, a->mode);
}

static int run_once(const Args *a) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(status_freep) Status *s = NULL;
        OutputContext c = {};
        int r;

        r = manager_new(a->config, &m);
        if (r < 0)
                return STATE_UNKNOWN;
        r = manager_once(m, &s);
        if (r < 0)
                return STATE_UNKNOWN;
        c = (OutputContext){ .status = s, .path = m->config.status_path };
        return render_checked(&c, a->mode);
}

static int run_daemon(const Args *a) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        r = manager_new(a->config, &m);
        if (r < 0)
                return 1;
        r = manager_run(m);
        return r < 0 ? 1 : 0;
}

int main(int argc, char **argv) {
        Args a = { .command = CMD_RUN, .mode = OUTPUT_HUMAN };
        int r;

        log_setup();
        r = parse_argv(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        switch (a.command) {
        case CMD_STATUS: return show_status(&a);
        case CMD_CHECK_CONFIG: return check_config(&a);
        case CMD_ONCE: return run_once(&a);
        default: return run_daemon(&a);
        }
}
