/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Table-driven parser for loginguard.conf and module arguments. Every key
 * has a type, a place in Config and bounds; nothing else is accepted, so a
 * typo is reported with its file and line instead of silently ignored.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io-util.h"
#include "macro.h"
#include "parse-util.h"

typedef enum ConfigType {
        CFG_PATH, /* absolute path, or empty where allowed */
        CFG_METRICS, /* absolute path, empty (off), or "auto" */
        CFG_STRING, /* free text */
        CFG_MSEC, /* duration, bare numbers are milliseconds */
        CFG_SEC, /* duration, bare numbers are seconds */
        CFG_UINT, /* unsigned, stored as unsigned */
        CFG_U64, /* unsigned, stored as uint64_t */
        CFG_BOOL,
        CFG_REMEDY, /* comma list of resume, restart, drain; or none */
        CFG_SERVICE, /* status entry name: [a-z0-9_] */
} ConfigType;

typedef struct ConfigKey {
        const char *name;
        ConfigType type;
        size_t offset;
        size_t size; /* for strings */
        uint64_t min, max;
        unsigned scope;
} ConfigKey;

#define STR(name, type, field, scope) \
        { name, type, offsetof(Config, field), sizeof(((Config *) 0)->field), 0, 0, scope }
#define NUM(name, type, field, min, max, scope) \
        { name, type, offsetof(Config, field), 0, min, max, scope }

#define MS(x) ((uint64_t) (x) *USEC_PER_MSEC)
#define SEC(x) ((uint64_t) (x) *USEC_PER_SEC)

static const ConfigKey config_keys[] = {
        NUM("deadline", CFG_MSEC, deadline_usec, MS(10), SEC(600), CONFIG_SCOPE_MODULE),
        NUM("patience", CFG_MSEC, patience_usec, MS(10), SEC(600), CONFIG_SCOPE_MODULE),
        NUM("max_age", CFG_MSEC, max_age_usec, MS(100), SEC(3600), CONFIG_SCOPE_MODULE),
        NUM("trip", CFG_UINT, trip, 1, 64, CONFIG_SCOPE_MODULE),
        NUM("window", CFG_SEC, window_usec, SEC(1), SEC(86400), CONFIG_SCOPE_MODULE),
        NUM("cooldown", CFG_SEC, cooldown_usec, SEC(1), SEC(86400), CONFIG_SCOPE_MODULE),
        NUM("slow", CFG_MSEC, slow_usec, MS(1), SEC(600), CONFIG_SCOPE_MODULE),
        NUM("notify", CFG_BOOL, notify, 0, 1, CONFIG_SCOPE_MODULE),
        NUM("debug", CFG_BOOL, debug, 0, 1, CONFIG_SCOPE_ALL),
        NUM("guardd_watchdog", CFG_BOOL, guardd_watchdog, 0, 1, CONFIG_SCOPE_ALL),
        STR("service", CFG_SERVICE, service, CONFIG_SCOPE_MODULE),
        STR("state_dir", CFG_PATH, state_dir, CONFIG_SCOPE_ALL),
        STR("status", CFG_PATH, status_path, CONFIG_SCOPE_ALL),
        STR("status_path", CFG_PATH, status_path, CONFIG_SCOPE_ALL),
        STR("bus_address", CFG_STRING, bus_address, CONFIG_SCOPE_DAEMON),
        STR("metrics_path", CFG_METRICS, metrics_path, CONFIG_SCOPE_DAEMON),
        NUM("interval_ms", CFG_MSEC, interval_usec, MS(50), SEC(3600), CONFIG_SCOPE_DAEMON),
        NUM("probe_timeout_ms", CFG_MSEC, probe_timeout_usec, MS(10), SEC(600),
            CONFIG_SCOPE_DAEMON),
        STR("devlog_path", CFG_PATH, devlog_path, CONFIG_SCOPE_ALL),
        STR("sessions_dir", CFG_PATH, sessions_dir, CONFIG_SCOPE_ALL),
        STR("units_dir", CFG_PATH, units_dir, CONFIG_SCOPE_DAEMON),
        STR("mountinfo_path", CFG_PATH, mountinfo_path, CONFIG_SCOPE_DAEMON),
        NUM("devlog_stuck_ms", CFG_MSEC, devlog_stuck_usec, MS(100), SEC(3600),
            CONFIG_SCOPE_DAEMON),
        STR("devlog_remedy", CFG_REMEDY, devlog_remedy, CONFIG_SCOPE_DAEMON),
        NUM("devlog_replay_rate", CFG_U64, devlog_replay_rate, 1, 1000000, CONFIG_SCOPE_DAEMON),
        STR("spool_dir", CFG_PATH, spool_dir, CONFIG_SCOPE_DAEMON),
        STR("alert_command", CFG_STRING, alert_command, CONFIG_SCOPE_DAEMON),
        NUM("alert_cooldown_s", CFG_SEC, alert_cooldown_usec, 0, SEC(86400), CONFIG_SCOPE_DAEMON),
        NUM("login1_slow_ms", CFG_MSEC, login1_slow_usec, MS(1), SEC(600), CONFIG_SCOPE_DAEMON),
        NUM("queue_skip_bytes", CFG_U64, queue_skip_bytes, 1, UINT64_MAX, CONFIG_SCOPE_DAEMON),
        NUM("queue_growth_warn_bytes", CFG_U64, queue_growth_warn_bytes, 1, UINT64_MAX,
            CONFIG_SCOPE_DAEMON),
        NUM("sessions_warn", CFG_U64, sessions_warn, 1, UINT64_MAX, CONFIG_SCOPE_DAEMON),
        NUM("scopes_warn", CFG_U64, scopes_warn, 1, UINT64_MAX, CONFIG_SCOPE_DAEMON),
        NUM("cpu_warn_percent", CFG_U64, cpu_warn_percent, 1, 10000, CONFIG_SCOPE_DAEMON),
        NUM("user_job_warn_ms", CFG_MSEC, user_job_warn_usec, MS(100), SEC(86400),
            CONFIG_SCOPE_DAEMON),
        NUM("healthy_rounds", CFG_UINT, healthy_rounds, 1, 1000, CONFIG_SCOPE_DAEMON),
};

/* Module keys lie in ModuleConfig, the rest after it (Dest). */
_Static_assert(offsetof(Config, module) == 0 && offsetof(Config, bus_address) == sizeof(ModuleConfig),
               "Config must start with exactly a ModuleConfig");
_Static_assert(offsetof(Config, sessions_dir) == offsetof(ModuleConfig, sessions_dir),
               "Config's module fields must lie where ModuleConfig has them");

/* Where a parse stores: a whole Config, or only the ModuleConfig it begins
 * with. A key past @size is checked as ever but not kept: the config file
 * is shared, and a login must refuse a bad guardd line as guardd does. */
typedef struct Dest {
        char *base;
        size_t size;
} Dest;

#define DEST_CONFIG(c) ((Dest){ (char *) (c), sizeof(Config) })
#define DEST_MODULE(m) ((Dest){ (char *) (m), sizeof(ModuleConfig) })

static void copy_str(char *dst, size_t size, const char *src) {
        (void) snprintf(dst, size, "%s", src);
}

/**
 * config_init() - fill @c with the built-in defaults (docs/INTERFACE.md).
 * @c: config
 */
void config_init(Config *c) {
        *c = (Config){
                .interval_usec = MS(1000),
                .probe_timeout_usec = MS(1000),
                .devlog_stuck_usec = MS(3000),
                .devlog_replay_rate = 1000,
                .alert_cooldown_usec = SEC(300),
                .login1_slow_usec = MS(250),
                .queue_skip_bytes = UINT64_C(16) * 1024 * 1024,
                .queue_growth_warn_bytes = UINT64_C(4) * 1024 * 1024,
                .sessions_warn = 5000,
                .scopes_warn = 5000,
                .cpu_warn_percent = 90,
                .user_job_warn_usec = SEC(10),
                .healthy_rounds = 3,
        };
        config_init_module(&c->module);
        copy_str(c->metrics_path, sizeof(c->metrics_path), "auto");
        copy_str(c->units_dir, sizeof(c->units_dir), "/run/systemd/system");
        copy_str(c->mountinfo_path, sizeof(c->mountinfo_path), "/proc/1/mountinfo");
        copy_str(c->spool_dir, sizeof(c->spool_dir), "/var/spool/loginguard");
        /* Incident 5 must be survived with no configuration: a stopped
         * reader is continued, a stuck one drained (docs/runbook.md). */
        copy_str(c->devlog_remedy, sizeof(c->devlog_remedy), "resume,drain");
}

/**
 * config_init_module() - fill @m with the built-in defaults of the module's keys.
 * @m: config
 */
void config_init_module(ModuleConfig *m) {
        *m = (ModuleConfig){
                .deadline_usec = MS(2000),
                .patience_usec = MS(15000),
                .max_age_usec = MS(5000),
                .trip = 2,
                .window_usec = SEC(60),
                .cooldown_usec = SEC(30),
                .slow_usec = MS(1000),
                .notify = true,
                .guardd_watchdog = true,
        };
        copy_str(m->state_dir, sizeof(m->state_dir), "/run/loginguard");
        copy_str(m->status_path, sizeof(m->status_path), "/run/loginguard/status");
        copy_str(m->devlog_path, sizeof(m->devlog_path), "/dev/log");
        copy_str(m->sessions_dir, sizeof(m->sessions_dir), "/run/systemd/sessions");
}

static const ConfigKey *find_key(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (strcmp(config_keys[i].name, name) == 0)
                        return &config_keys[i];
        return NULL;
}

/**
 * config_remedy_valid() - check a devlog_remedy list.
 * @list: "none" or a comma list of resume, restart, drain, each at most once
 *
 * Return: 0 or -EINVAL.
 */
int config_remedy_valid(const char *list) {
        static const char *const words[] = { "resume", "restart", "drain" };
        bool seen[ELEMENTSOF(words)] = {};
        const char *p = list;

        if (strcmp(list, "none") == 0)
                return 0;
        for (;;) {
                size_t n = strcspn(p, ","), i;

                for (i = 0; i < ELEMENTSOF(words); i++)
                        if (strlen(words[i]) == n && strncmp(p, words[i], n) == 0)
                                break;
                if (i == ELEMENTSOF(words) || seen[i])
                        return -EINVAL;
                seen[i] = true;
                if (p[n] == '\0')
                        return 0;
                p += n + 1;
        }
}

static int set_string(const ConfigKey *k, char *field, const char *value) {
        size_t n = strlen(value);

        if (n >= k->size)
                return -ERANGE;
        if (k->type == CFG_PATH && n > 0 && value[0] != '/')
                return -EINVAL;
        if (k->type == CFG_METRICS && n > 0 && value[0] != '/' && strcmp(value, "auto") != 0)
                return -EINVAL;
        if (k->type == CFG_REMEDY && config_remedy_valid(value) < 0)
                return -EINVAL;
        if (k->type == CFG_SERVICE && strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
                return -EINVAL;
        if (field)
                memcpy(field, value, n + 1);
        return 0;
}

static int set_number(const ConfigKey *k, void *field, const char *value) {
        uint64_t v;
        bool b;
        int r;

        switch (k->type) {
        case CFG_MSEC:
        case CFG_SEC:
                r = parse_duration(value, k->type == CFG_MSEC ? USEC_PER_MSEC : USEC_PER_SEC, &v);
                break;
        case CFG_BOOL:
                r = parse_bool(value, &b);
                if (r == 0 && field)
                        *(bool *) field = b;
                return r;
        default: r = parse_u64(value, &v); break;
        }
        if (r < 0)
                return r;
        if (v < k->min || v > k->max)
                return -ERANGE;
        if (!field)
                return 0;
        if (k->type == CFG_UINT)
                *(unsigned *) field = (unsigned) v;
        else
                *(uint64_t *) field = v;
        return 0;
}

/* config_set() into @d: a key past d->size is checked, not stored. */
static int set_key(const Dest *d, const char *key, const char *value, unsigned scope) {
        const ConfigKey *k = find_key(key);
        char *field;

        if (!k || !(k->scope & scope))
                return -ENOKEY;
        field = k->offset < d->size ? d->base + k->offset : NULL;
        if (k->size > 0)
                return set_string(k, field, value);
        return set_number(k, field, value);
}

/**
 * config_set() - set one key from its text value.
 * @c: config
 * @key: key name
 * @value: text value
 * @scope: CONFIG_SCOPE_* the caller accepts
 *
 * Return: 0; -ENOKEY for an unknown key (or one outside @scope), -EINVAL
 * for a malformed value, -ERANGE for one out of bounds.
 */
int config_set(Config *c, const char *key, const char *value, unsigned scope) {
        return set_key(&DEST_CONFIG(c), key, value, scope);
}

/**
 * config_set_module() - config_set() into a module's config: a key of
 * guardd's alone (in @scope) is checked but not kept.
 * @m: config
 * @key: key name
 * @value: text value
 * @scope: CONFIG_SCOPE_* the caller accepts
 *
 * Return: as config_set().
 */
int config_set_module(ModuleConfig *m, const char *key, const char *value, unsigned scope) {
        return set_key(&DEST_MODULE(m), key, value, scope);
}

static char *strip(char *s) {
        char *e;

        s += strspn(s, " \t");
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                *--e = '\0';
        return s;
}

static char *unquote(char *v) {
        size_t n = strlen(v);

        if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
                v[n - 1] = '\0';
                return v + 1;
        }
        return v;
}

static int parse_config_line(const Dest *d, char *line, ConfigError *err) {
        char *eq, *key, *value;

        line = strip(line);
        if (*line == '\0' || *line == '#')
                return 0;
        eq = strchr(line, '=');
        if (!eq)
                return -EBADMSG;
        *eq = '\0';
        key = strip(line);
        value = unquote(strip(eq + 1));
        copy_str(err->key, sizeof(err->key), key);
        return set_key(d, key, value, CONFIG_SCOPE_ALL);
}

/* A line parse_config_line() would find empty: blank (spaces, tabs, a
 * carriage return) or a comment after spaces and tabs. Most lines of the
 * shipped file are; skipping them before the copy and strip() halves what
 * a login spends parsing it (bench/count.sh). */
static bool line_is_empty(const char *p, size_t n) {
        size_t i = 0;

        while (i < n && (p[i] == ' ' || p[i] == '\t'))
                i++;
        if (i < n && p[i] == '#')
                return true;
        for (; i < n; i++)
                if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
                        return false;
        return true;
}

/* Applies `key = value` lines: see config_parse_text(). */
static int parse_text(const Dest *d, const char *text, size_t len, ConfigError *reterr) {
        char line[CONFIG_LINE_MAX + 1];
        ConfigError err = {};
        const char *p = text, *end = text + len;
        int r;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);

                err.line++;
                err.key[0] = '\0';
                r = n > CONFIG_LINE_MAX ? -E2BIG : 0;
                if (r == 0 && memchr(p, '\0', n))
                        r = -EBADMSG;
                if (r == 0 && !line_is_empty(p, n)) {
                        memcpy(line, p, n);
                        line[n] = '\0';
                        r = parse_config_line(d, line, &err);
                }
                if (r < 0) {
                        err.error = r;
                        if (reterr)
                                *reterr = err;
                        return r;
                }
                p += n + 1;
        }
        return 0;
}

/**
 * config_parse_text() - apply `key = value` lines to @c.
 * @c: config; keys before a failing line stay applied
 * @text: contents
 * @len: length
 * @reterr: line, error and key of the first failure
 *
 * Return: 0, or the -errno of the first bad line (see config_set(), plus
 * -E2BIG for an over-long line and -EBADMSG for a line without '=').
 */
int config_parse_text(Config *c, const char *text, size_t len, ConfigError *reterr) {
        return parse_text(&DEST_CONFIG(c), text, len, reterr);
}

static int load_file(const Dest *d, const char *path, uid_t owner, ConfigError *reterr) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        r = read_trusted_file(AT_FDCWD, path, owner, CONFIG_MAX_SIZE, &buf, &len);
        if (r != 0)
                return r;
        return parse_text(d, buf, len, reterr);
}

/**
 * config_load_file() - read @path (a trusted file) and apply it to @c.
 * @c: config
 * @path: file; a symlink, a file not owned by root or @owner, or one that
 *        is group/world-writable is refused
 * @owner: uid allowed to own it besides root
 * @reterr: details of a parse error
 *
 * Return: 0; -ENOENT when missing; a positive TRUST_E_* verdict; or a
 * negative parse error as config_parse_text().
 */
int config_load_file(Config *c, const char *path, uid_t owner, ConfigError *reterr) {
        return load_file(&DEST_CONFIG(c), path, owner, reterr);
}

/* /etc/loginguard/loginguard.conf, else the vendor file: as load_file(),
 * but 0 when neither exists (then *@ret_path is NULL). */
static int load_default(const Dest *d, uid_t owner, const char **ret_path, ConfigError *reterr) {
        static const char *const paths[] = { CONFIG_DEFAULT_PATH, CONFIG_VENDOR_PATH };

        *ret_path = NULL;
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                int r = load_file(d, paths[i], owner, reterr);
                if (r == -ENOENT)
                        continue;
                *ret_path = paths[i];
                return r;
        }
        return 0;
}

static int load(const Dest *d, const char *path, uid_t owner, const char **ret_path,
                ConfigError *reterr) {
        if (!path)
                return load_default(d, owner, ret_path, reterr);
        *ret_path = path;
        return load_file(d, path, owner, reterr);
}

/**
 * config_load() - the one way both programs read their config: @path when
 * given (a missing explicit file is an error), else
 * /etc/loginguard/loginguard.conf, else the vendor file.
 * @c: config, initialized by the caller (keys before a bad line stay applied)
 * @path: explicit file, or NULL
 * @owner: uid allowed to own it besides root
 * @ret_path: the file that was read, or NULL when neither default exists
 * @reterr: details of a parse error
 *
 * Return: as config_load_file(), but 0 when neither default file exists.
 */
int config_load(Config *c, const char *path, uid_t owner, const char **ret_path,
                ConfigError *reterr) {
        return load(&DEST_CONFIG(c), path, owner, ret_path, reterr);
}

/**
 * config_load_module() - config_load() for pam_loginguard: the same file,
 * the same checks and errors, but only the module's keys are kept.
 * @m: config, initialized by the caller
 * @path: explicit file, or NULL
 * @owner: uid allowed to own it besides root
 * @ret_path: the file that was read, or NULL when neither default exists
 * @reterr: details of a parse error
 *
 * Return: as config_load().
 */
int config_load_module(ModuleConfig *m, const char *path, uid_t owner, const char **ret_path,
                       ConfigError *reterr) {
        return load(&DEST_MODULE(m), path, owner, ret_path, reterr);
}

/**
 * config_strerror() - describe a parse error of config_set()/config_parse_text().
 * @error: negative errno
 *
 * Return: a static string.
 */
const char *config_strerror(int error) {
        switch (error) {
        case -ENOKEY: return "unknown key";
        case -EINVAL: return "invalid value";
        case -ERANGE: return "value out of range";
        case -E2BIG: return "line too long";
        case -EBADMSG: return "line is not 'key = value'";
        default: return "unusable";
        }
}

/**
 * config_key_count() - number of known keys (aliases included).
 *
 * Return: the count.
 */
size_t config_key_count(void) {
        return ELEMENTSOF(config_keys);
}

/**
 * config_key_name() - name of key number @i.
 * @i: index below config_key_count()
 *
 * Return: the name, or NULL past the end.
 */
const char *config_key_name(size_t i) {
        return i < ELEMENTSOF(config_keys) ? config_keys[i].name : NULL;
}
