/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_loginguard: wraps a session module (pam_systemd) so that a stuck
 * logind, bus or session tracker can no longer hold a login. Decisions, in
 * order, each without NSS, D-Bus or a blocking socket: guardd's fresh
 * status says skip -> skip; the breaker is open -> skip (one trial after
 * the cooldown); otherwise call the wrapped module under the deadline.
 * A skipped or cut call answers PAM_IGNORE and sets LOGINGUARD_FALLBACK.
 */
#include <errno.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "breaker.h"
#include "guard.h"
#include "io-util.h"
#include "macro.h"
#include "options.h"
#include "pam-util.h"
#include "status.h"
#include "target.h"

typedef struct Ctx {
        pam_handle_t *pamh;
        int flags;
        EntryPoint ep;
        Options o;
        BreakerFile breaker;
        bool trial;
        bool quiet; /* healthy outcomes need not be recorded */
} Ctx;

typedef struct Fallback {
        const char *code; /* LOGINGUARD_FALLBACK value */
        char why[160]; /* for people */
} Fallback;

/* Status problems are said once per process, not once per login. */
static unsigned said_mask;

static void say_once(pam_handle_t *pamh, int verdict, const char *path, unsigned line) {
        unsigned bit = 1U << (verdict < 0 ? 31 : (unsigned) verdict % 31);

        if (__atomic_fetch_or(&said_mask, bit, __ATOMIC_RELAXED) & bit)
                return;
        if (verdict == -ENOENT)
                pam_log(pamh, LOG_INFO,
                        "Status file '%s' missing (guardd not running?), breaker alone decides.",
                        path);
        else if (verdict < 0)
                pam_log(pamh, LOG_ERR, "Cannot read status file '%s': %s, ignoring it.", path,
                        strerror(-verdict));
        else if (line > 0)
                pam_log(pamh, LOG_ERR, "Status file '%s' line %u: %s, ignoring it.", path, line,
                        status_strerror(verdict));
        else
                pam_log(pamh, LOG_ERR, "Status file '%s' %s, ignoring it.", path,
                        status_strerror(verdict));
}

static void data_free(pam_handle_t *pamh _unused_, void *data, int error_status _unused_) {
        free(data);
}

static void sockset_data_free(pam_handle_t *pamh _unused_, void *data, int error_status _unused_) {
        sockset_done(data);
        free(data);
}

static void data_key(const Ctx *c, const char *what, char *buf, size_t size) {
        (void) snprintf(buf, size, "loginguard.%s.%s", c->o.target_name, what);
}

/* Returns true when guardd's fresh status says to skip; fills @f. */
static bool status_says_skip(Ctx *c, Fallback *f) {
        _cleanup_(status_freep) Status *s = NULL;
        const char *path = c->o.config.status_path, *action, *devlog, *state;
        unsigned line = 0;
        int r;

        r = status_read(path, 0, &s, &line);
        if (r == 0)
                r = status_check_fresh(s, now_usec(CLOCK_MONOTONIC), c->o.config.max_age_usec,
                                       NULL);
        if (r != 0) {
                /* No word from guardd on /dev/log: the logger sends (never blocking). */
                pam_log_set_quiet(false);
                say_once(c->pamh, r, path, line);
                return false;
        }
        devlog = status_get(s, "DEVLOG");
        pam_log_set_quiet(devlog && (strcmp(devlog, "full") == 0 || strcmp(devlog, "stuck") == 0));
        action = status_get(s, c->o.status_key);
        if (!action || strcmp(action, "skip") != 0)
                return false;
        state = status_get(s, c->o.service_key);
        f->code = "status";
        (void) snprintf(f->why, sizeof(f->why), "guardd reports %s %s", c->o.service_key,
                        state && *state ? state : "unhealthy");
        return true;
}

static bool breaker_says_skip(Ctx *c, uint64_t now, Fallback *f) {
        BreakerVerdict v = BREAKER_CALL;

        if (c->breaker.dir_fd < 0)
                return false;
        (void) breaker_decide(&c->breaker, &c->o.config, now, &v);
        c->trial = v == BREAKER_TRIAL;
        c->quiet = v == BREAKER_CALL_QUIET;
        if (v != BREAKER_SKIP)
                return false;
        f->code = "breaker";
        (void) snprintf(f->why, sizeof(f->why), "%s was recently too slow (circuit breaker open)",
                        c->o.target_name);
        return true;
}

static void record(Ctx *c, CallOutcome outcome, uint64_t elapsed) {
        if (c->breaker.dir_fd < 0)
                return;
        /* -EBUSY: another login is updating it; skipping is the design. */
        (void) breaker_record(&c->breaker, &c->o.config, now_usec(CLOCK_MONOTONIC), outcome,
                              elapsed, c->trial);
}

static void notify_user(Ctx *c, const Fallback *f) {
        const char *what =
                strcmp(c->o.service_key, "LOGIN1") == 0
                        ? "systemd-logind registration (no logind session or XDG_RUNTIME_DIR)"
                        : c->o.target_name;

        if (!c->o.config.notify || (c->flags & PAM_SILENT) || c->ep != EP_OPEN_SESSION)
                return;
        (void) pam_info(c->pamh, "loginguard: this session runs without %s: %s.", what, f->why);
}

/* Fail open: the login goes on without the wrapped module. */
static int fallback(Ctx *c, const Fallback *f) {
        char key[128], env[96];
        char *flag;

        (void) snprintf(env, sizeof(env), "LOGINGUARD_FALLBACK=%s", f->code);
        (void) pam_putenv(c->pamh, env);
        data_key(c, "fallback", key, sizeof(key));
        flag = strdup(f->code);
        if (flag && pam_set_data(c->pamh, key, flag, data_free) != PAM_SUCCESS)
                free(flag);
        pam_log(c->pamh, LOG_WARNING, "%s %s skipped (%s): %s.", c->o.target_name,
                entry_point_to_string(c->ep), f->code, f->why);
        notify_user(c, f);
        return PAM_IGNORE;
}

static bool open_was_skipped(const Ctx *c) {
        const void *data = NULL;
        char key[128];

        data_key(c, "fallback", key, sizeof(key));
        return pam_get_data(c->pamh, key, &data) == PAM_SUCCESS && data;
}

static const SockSet *open_sockets(const Ctx *c) {
        const void *data = NULL;
        char key[128];

        data_key(c, "sockets", key, sizeof(key));
        if (pam_get_data(c->pamh, key, &data) != PAM_SUCCESS)
                return NULL;
        return data;
}

/* Remember what open_session left open, so close_session may cut it. */
static void keep_open_sockets(const Ctx *c, GuardResult *res) {
        SockSet *copy;
        char key[128];

        copy = malloc(sizeof(*copy));
        if (!copy)
                return;
        *copy = res->opened;
        res->opened = (SockSet){};
        data_key(c, "sockets", key, sizeof(key));
        if (pam_set_data(c->pamh, key, copy, sockset_data_free) != PAM_SUCCESS)
                sockset_data_free(NULL, copy, 0);
}

static int call_wrapped(Ctx *c, pam_sm_fn fn) {
        GuardCall call = {
                .fn = fn,
                .pamh = c->pamh,
                .flags = c->flags,
                .argc = c->o.wrapped_argc,
                .argv = c->o.wrapped_argv,
                .deadline_usec = c->o.config.deadline_usec,
                .cuttable = c->ep == EP_CLOSE_SESSION ? open_sockets(c) : NULL,
                .collect_opened = c->ep == EP_OPEN_SESSION,
        };
        Fallback f = { .code = "deadline" };
        GuardResult res;
        CallOutcome outcome;
        int r;

        r = guard_call(&call, &res);
        if (r < 0) {
                /* No thread or memory to guard it: an unguarded call could
                 * hang the login for minutes, so skip instead (fail open). */
                f.code = "resources";
                (void) snprintf(f.why, sizeof(f.why), "cannot guard the call: %s", strerror(-r));
                pam_log(c->pamh, LOG_CRIT, "Cannot guard %s: %s.", c->o.target_name, strerror(-r));
                return fallback(c, &f);
        }
        outcome = res.fired                                   ? OUTCOME_CUT
                  : res.elapsed_usec >= c->o.config.slow_usec ? OUTCOME_SLOW
                                                              : OUTCOME_OK;
        if (outcome != OUTCOME_OK || !c->quiet)
                record(c, outcome, res.elapsed_usec);
        pam_log(c->pamh, LOG_DEBUG, "%s %s answered %d after %llu us%s.", c->o.target_name,
                entry_point_to_string(c->ep), res.rc, (unsigned long long) res.elapsed_usec,
                res.fired ? " (cut)" : "");
        if (c->ep == EP_OPEN_SESSION && !res.fired)
                keep_open_sockets(c, &res);
        sockset_done(&res.opened);
        if (!res.fired)
                return res.rc;
        (void) snprintf(f.why, sizeof(f.why),
                        "%s did not answer within %llu ms (%u connection%s cut)", c->o.target_name,
                        (unsigned long long) (c->o.config.deadline_usec / 1000), res.n_cut,
                        res.n_cut == 1 ? "" : "s");
        return fallback(c, &f);
}

/* Fail open: a target that cannot be loaded is treated as absent. */
static int load_target(Ctx *c, pam_sm_fn *ret) {
        Fallback f = { .code = "target" };
        int r;

        r = target_load(c->o.target_path, c->ep, ret);
        if (r >= 0)
                return 0;
        pam_log(c->pamh, LOG_ERR, "Refusing to load '%s': %s.", c->o.target_path,
                r == -EPERM ? "not owned by root or writable by others" : strerror(-r));
        (void) snprintf(f.why, sizeof(f.why), "%s cannot be loaded", c->o.target_name);
        return fallback(c, &f);
}

static void open_breaker(Ctx *c) {
        static bool said_state_dir;
        int r;

        r = breaker_file_open(c->o.config.state_dir, c->o.target_name, &c->breaker);
        if (r >= 0)
                return;
        c->breaker.dir_fd = -EBADF;
        if (!__atomic_exchange_n(&said_state_dir, true, __ATOMIC_RELAXED))
                pam_log(c->pamh, LOG_ERR,
                        "State directory '%s' unusable: %s; running without the breaker.",
                        c->o.config.state_dir,
                        r == -EPERM ? "not root's or writable by others" : strerror(-r));
}

/* The decision comes before the target is loaded: dlopen() of pam_systemd
 * costs about a millisecond, which a skipped login should not pay. */
static int decide_and_call(Ctx *c, pam_sm_fn fn) {
        Fallback f = {};
        int rc;

        if (status_says_skip(c, &f) || breaker_says_skip(c, now_usec(CLOCK_MONOTONIC), &f)) {
                record(c, OUTCOME_SKIPPED, 0);
                return fallback(c, &f);
        }
        if (!fn) {
                rc = load_target(c, &fn);
                if (rc != 0 || !fn) {
                        /* A claimed trial that cannot run is reclaimed after its timeout. */
                        return rc != 0 ? rc : PAM_IGNORE;
                }
        }
        return call_wrapped(c, fn);
}

static bool is_session(EntryPoint ep) {
        return ep == EP_OPEN_SESSION || ep == EP_CLOSE_SESSION;
}

static int run(pam_handle_t *pamh, int flags, int argc, const char **argv, EntryPoint ep) {
        Ctx c = { .pamh = pamh, .flags = flags, .ep = ep, .breaker.dir_fd = -EBADF };
        pam_sm_fn fn = NULL;
        int rc;

        pam_log_setup("/dev/log", false);
        /* Fail open: a broken line must not stop logins; it is logged. */
        if (options_parse(pamh, argc, argv, &c.o) < 0)
                return PAM_IGNORE;
        pam_log_setup(c.o.config.devlog_path, c.o.config.debug);
        if (ep == EP_CLOSE_SESSION && open_was_skipped(&c))
                return PAM_IGNORE;
        /* Outside the session phase, load first so that an entry point the
         * target does not export answers PAM_IGNORE without a fallback. */
        if (!is_session(ep)) {
                rc = load_target(&c, &fn);
                if (rc != 0 || !fn)
                        return rc != 0 ? rc : PAM_IGNORE;
        }
        open_breaker(&c);
        rc = decide_and_call(&c, fn);
        breaker_file_close(&c.breaker);
        return rc;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return run(pamh, flags, argc, argv, EP_AUTHENTICATE);
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return run(pamh, flags, argc, argv, EP_SETCRED);
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return run(pamh, flags, argc, argv, EP_ACCT_MGMT);
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return run(pamh, flags, argc, argv, EP_OPEN_SESSION);
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return run(pamh, flags, argc, argv, EP_CLOSE_SESSION);
}

PAM_EXTERN int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return run(pamh, flags, argc, argv, EP_CHAUTHTOK);
}
