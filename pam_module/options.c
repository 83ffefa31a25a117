/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsing the PAM line. The config file is read first, then the arguments
 * override it. Every problem is logged and then ignored: a typo on a PAM
 * line must never lock people out or make them wait (fail open).
 */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "io-util.h"
#include "macro.h"
#include "pam-util.h"
#include "target.h"

static const struct {
        const char *wrapped;
        const char *service;
} service_map[] = {
        { "pam_systemd", "login1" },
        { "pam_elogind", "login1" },
        { "pam_ck_connector", "consolekit" },
};

static void load_config(const PamLog *log, Options *o, const char *conf) {
        ConfigError e = {};
        const char *used = conf;
        int r;

        r = config_load_module(&o->config, conf, 0, &used, &e);
        if (r == 0)
                return;
        if (r > 0)
                pam_log(log, LOG_ALERT, "Config file '%s' %s, ignoring it.", used,
                        trust_strerror(r));
        else if (e.line > 0)
                pam_log(log, LOG_ALERT, "%s:%u: %s '%s', using defaults from there on.", used,
                        e.line, config_strerror(r), e.key);
        else
                pam_log(log, LOG_ALERT, "Cannot read config file '%s': %s, using defaults.", used,
                        strerror(-r));
}

static void apply_arg(const PamLog *log, Options *o, const char *arg) {
        char key[64];
        const char *eq = strchr(arg, '=');
        int r;

        if (strcmp(arg, "nonotify") == 0) {
                o->config.notify = false;
                return;
        }
        if (!eq) {
                r = config_set_module(&o->config, arg, "yes", CONFIG_SCOPE_MODULE);
                if (r < 0 || (strcmp(arg, "notify") != 0 && strcmp(arg, "debug") != 0))
                        pam_log(log, LOG_ERR, "Unknown option '%s', ignoring.", arg);
                return;
        }
        (void) snprintf(key, sizeof(key), "%.*s", (int) (eq - arg), arg);
        if (strcmp(key, "conf") == 0)
                return;
        r = config_set_module(&o->config, key, eq + 1, CONFIG_SCOPE_MODULE);
        if (r < 0)
                pam_log(log, LOG_ERR, "Option '%s': %s, ignoring.", arg, config_strerror(r));
}

static void derive_service(Options *o) {
        const char *service = o->config.service;
        size_t i;

        for (i = 0; !*service && i < ELEMENTSOF(service_map); i++)
                if (strcmp(o->target_name, service_map[i].wrapped) == 0)
                        service = service_map[i].service;
        if (!*service)
                service = o->target_name;
        for (i = 0; i < sizeof(o->service_key) - 1 && service[i]; i++)
                o->service_key[i] = (char) toupper((unsigned char) service[i]);
        o->service_key[i] = '\0';
        (void) snprintf(o->status_key, sizeof(o->status_key), "%s_ACTION", o->service_key);
}

static const char *find_conf(int argc, const char **argv) {
        for (int i = 0; i < argc && strncmp(argv[i], "wrap=", 5) != 0; i++)
                if (strncmp(argv[i], "conf=", 5) == 0)
                        return argv[i] + 5;
        return NULL;
}

/* Where the problems with the config file and the arguments go: the
 * devlog_path= argument's socket wherever the argument stands (the last
 * one, as it wins), else @fallback. A bad trip= before it, or a bad line
 * of the config file read before any argument, would otherwise go to the
 * default /dev/log. A value config_set() would refuse is not used. */
static const char *devlog_of(int argc, const char **argv, const char *fallback) {
        static const char key[] = "devlog_path=";
        const char *path = fallback;

        for (int i = 0; i < argc && strncmp(argv[i], "wrap=", 5) != 0; i++) {
                const char *v = argv[i] + sizeof(key) - 1;

                if (strncmp(argv[i], key, sizeof(key) - 1) == 0 && v[0] == '/' &&
                    strlen(v) < CONFIG_PATH_MAX)
                        path = v;
        }
        return path;
}

/**
 * options_parse() - read config and arguments into @ret.
 * @log: where problems are reported
 * @argc: argument count
 * @argv: arguments
 * @ret: options; wrapped_argv points into @argv
 *
 * Return: 0; -EINVAL when wrap= is missing or unusable (logged).
 */
int options_parse(const PamLog *log, int argc, const char **argv, Options *ret) {
        PamLog early = *log;
        int i, r;

        *ret = (Options){};
        config_init_module(&ret->config);
        early.path = devlog_of(argc, argv, log->path);
        load_config(&early, ret, find_conf(argc, argv));
        early.path = devlog_of(argc, argv, ret->config.devlog_path);
        for (i = 0; i < argc && strncmp(argv[i], "wrap=", 5) != 0; i++)
                apply_arg(&early, ret, argv[i]);
        if (i == argc) {
                pam_log(&early, LOG_ERR, "No wrap=MODULE argument, nothing to guard.");
                return -EINVAL;
        }
        ret->wrap = argv[i] + 5;
        ret->wrapped_argc = argc - i - 1;
        ret->wrapped_argv = argv + i + 1;
        r = target_resolve(ret->wrap, (const void *) options_parse, ret->target_path,
                           sizeof(ret->target_path));
        if (r < 0) {
                pam_log(&early, LOG_ERR, "Cannot resolve wrap=%s: %s.", ret->wrap, strerror(-r));
                return -EINVAL;
        }
        target_basename(ret->target_path, ret->target_name, sizeof(ret->target_name));
        derive_service(ret);
        return 0;
}
