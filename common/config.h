/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one configuration parser of loginguard: `key = value` lines in
 * loginguard.conf and `key=value` PAM module arguments go through the same
 * table, so a key means the same thing wherever it is set.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CONFIG_DEFAULT_PATH "/etc/loginguard/loginguard.conf"
#define CONFIG_VENDOR_PATH "/usr/lib/loginguard/loginguard.conf"
#define CONFIG_MAX_SIZE ((size_t) 64 * 1024)
#define CONFIG_LINE_MAX 1024U
#define CONFIG_PATH_MAX 512U

/* Which program a key is for; the file accepts both. */
enum {
        CONFIG_SCOPE_MODULE = 1U << 0,
        CONFIG_SCOPE_DAEMON = 1U << 1,
        CONFIG_SCOPE_ALL = CONFIG_SCOPE_MODULE | CONFIG_SCOPE_DAEMON,
};

/* The keys pam_loginguard reads, in the order Config starts with them. A
 * login parses into this alone (2.1 KiB): building the whole Config (5.9
 * KiB, most of it guardd's paths) cost every login about 30 us on the
 * double (bench/ab.sh, docs/BENCHMARKS.md). */
#define CONFIG_MODULE_FIELDS \
        uint64_t deadline_usec; \
        uint64_t patience_usec; \
        uint64_t max_age_usec; \
        uint64_t window_usec; \
        uint64_t cooldown_usec; \
        uint64_t slow_usec; \
        unsigned trip; \
        bool notify; \
        bool debug; \
        bool guardd_watchdog; /* both: guardd watches a call's deadline when it runs */ \
        char service[64]; \
        char state_dir[CONFIG_PATH_MAX]; \
        /* both */ \
        char status_path[CONFIG_PATH_MAX]; \
        char devlog_path[CONFIG_PATH_MAX]; \
        char sessions_dir[CONFIG_PATH_MAX];

typedef struct ModuleConfig {
        CONFIG_MODULE_FIELDS
} ModuleConfig;

typedef struct Config {
        /* The same members twice, so that both name them alike: c->module
         * is what a module's parse fills, c->deadline_usec its field. */
        union {
                ModuleConfig module;
                struct {
                        CONFIG_MODULE_FIELDS
                };
        };
        /* guardd */
        char bus_address[CONFIG_PATH_MAX];
        char metrics_path[CONFIG_PATH_MAX];
        char units_dir[CONFIG_PATH_MAX];
        char mountinfo_path[CONFIG_PATH_MAX]; /* whose mount table: PID 1's */
        char spool_dir[CONFIG_PATH_MAX];
        char devlog_remedy[64];
        char alert_command[CONFIG_LINE_MAX];
        uint64_t interval_usec;
        uint64_t probe_timeout_usec;
        uint64_t devlog_stuck_usec;
        uint64_t devlog_replay_rate;
        uint64_t alert_cooldown_usec;
        uint64_t login1_slow_usec;
        uint64_t queue_skip_bytes;
        uint64_t queue_growth_warn_bytes;
        uint64_t sessions_warn;
        uint64_t scopes_warn;
        uint64_t cpu_warn_percent;
        uint64_t user_job_warn_usec; /* a user's unit start job pending this long is named */
        unsigned healthy_rounds;
} Config;

typedef struct ConfigError {
        unsigned line; /* 0 when not from a file */
        int error; /* -ENOKEY unknown key, -EINVAL, -ERANGE, -E2BIG, -EBADMSG */
        char key[64];
} ConfigError;

void config_init(Config *c);
void config_init_module(ModuleConfig *m);
int config_set(Config *c, const char *key, const char *value, unsigned scope);
int config_parse_text(Config *c, const char *text, size_t len, ConfigError *reterr);
int config_load_file(Config *c, const char *path, uid_t owner, ConfigError *reterr);
int config_load(Config *c, const char *path, uid_t owner, const char **ret_path,
                ConfigError *reterr);
int config_load_module(ModuleConfig *m, const char *path, uid_t owner, const char **ret_path,
                       ConfigError *reterr);
int config_set_module(ModuleConfig *m, const char *key, const char *value, unsigned scope);
const char *config_strerror(int error);
size_t config_key_count(void);
const char *config_key_name(size_t i);
int config_remedy_valid(const char *list);
