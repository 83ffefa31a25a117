/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_loginguard: wraps a session module (pam_systemd) so that a stuck
 * logind, bus or PID 1 can no longer hold a login, without breaking a login
 * that the wrapped module would have completed. Decisions, in order, each
 * without NSS, D-Bus or a blocking socket: guardd's fresh status says skip
 * -> skip; PID 1 is stopped -> skip; the breaker is open -> skip (one trial
 * after the cooldown, taken by a root login); otherwise call the wrapped
 * module under the deadline, where the watchdog cuts a stuck call but waits
 * (up to `patience`) for one that logind is completing. A skipped or cut
 * call answers PAM_IGNORE and sets LOGINGUARD_FALLBACK.
 */
#include <errno.h>
#include <fcntl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "breaker.h"
#include "evidence.h"
#include "guard.h"
#include "io-util.h"
#include "macro.h"
#include "options.h"
#include "pam-util.h"
#include "status.h"
#include "target.h"
#include "watch.h"

#ifndef LOGINGUARD_VERSION
#define LOGINGUARD_VERSION "unknown"
#endif

#define TRIAL_MARGIN_USEC (5 * USEC_PER_SEC)
#define MISSING_MARKER ".status-missing"
#define WATCH_MARKER ".watch-unusable"
/* Users whose own calls were stuck within the window that make it the
 * host's trouble: the host-wide breaker opens (pam_loginguard(8)). */
#define TRIP_USERS 3U

/* What a session keeps between open_session and close_session. */
typedef struct HandleState {
        Options o; /* parsed once: close_session reuses it */
        SockTable keep; /* the sockets before open_session: close may cut the others */
        bool have_keep;
        char fallback[16]; /* why open_session went on without the module; "" when it ran */
} HandleState;

typedef struct Ctx {
        pam_handle_t *pamh;
        int flags;
        EntryPoint ep;
        const Options *o;
        HandleState *hs; /* session calls only */
        PamLog log;
        Breaker breaker;
        Breaker user_breaker; /* the login's user's own (dir_fd -EBADF: none) */
        const char *user; /* PAM_USER, NULL when unknown */
        BreakerParams bp;
        bool privileged; /* real and effective uid 0: may write shared state */
        bool root; /* effective uid 0 (a user's setuid su too) */
        bool trial;
        bool user_trial;
        bool status_fresh; /* guardd's status was fresh: it vouches for PID 1 too */
        WatchFile *watch; /* guardd's watch table (watch_for()) */
        bool watch_looked;
        pid_t pid; /* getpid(), once a call (ctx_pid()) */
} Ctx;

typedef struct Fallback {
        const char *code; /* LOGINGUARD_FALLBACK value */
        char why[192]; /* for people */
} Fallback;

/* Problems with the status file are said once per process at most. */
static unsigned said_mask;

static bool say_once_per_process(int verdict) {
        unsigned bit = 1U << (verdict < 0 ? 31 : (unsigned) verdict % 31);

        return !(__atomic_fetch_or(&said_mask, bit, __ATOMIC_RELAXED) & bit);
}

/* "guardd not running" and "guardd's table is of another version" (a
 * module and a guardd of different releases, as during an upgrade) are
 * said once per boot, not once per login: a marker in the state directory
 * remembers it (root logins write it, all logins read it). */
static bool say_once_per_boot(const Ctx *c, const char *marker, int verdict) {
        uint8_t boot[16], seen[16];
        _cleanup_close_ int fd = -EBADF;

        if (c->breaker.dir_fd < 0 || breaker_boot_id(boot) < 0)
                return say_once_per_process(verdict);
        fd = openat(c->breaker.dir_fd, marker, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0 && pread(fd, seen, sizeof(seen), 0) == sizeof(seen) &&
            memcmp(seen, boot, sizeof(boot)) == 0)
                return false;
        if (!c->privileged)
                return say_once_per_process(verdict);
        closep(&fd);
        fd = openat(c->breaker.dir_fd, marker,
                    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0)
                (void) loop_write(fd, boot, sizeof(boot));
        return true;
}

static void report_status(const Ctx *c, int verdict, unsigned line) {
        const char *path = c->o->config.status_path;

        if (verdict == -ENOENT) {
                if (say_once_per_boot(c, MISSING_MARKER, -ENOENT))
                        pam_log(&c->log, LOG_INFO,
                                "Status file '%s' missing (guardd not running?): the deadline and "
                                "the breaker alone decide (said once per boot).",
                                path);
                return;
        }
        if (!say_once_per_process(verdict))
                return;
        if (verdict < 0)
                pam_log(&c->log, LOG_ERR, "Cannot read status file '%s': %s, ignoring it.", path,
                        strerror(-verdict));
        else if (line > 0)
                pam_log(&c->log, LOG_ERR, "Status file '%s' line %u: %s, ignoring it.", path, line,
                        status_strerror(verdict));
        else
                pam_log(&c->log, LOG_ERR, "Status file '%s' %s, ignoring it.", path,
                        status_strerror(verdict));
}

static void report_watch(const Ctx *c, int r) {
        static bool said;

        if (r >= 0 || r == -ENOENT)
                return;
        if (r == -EBADMSG) {
                if (say_once_per_boot(c, WATCH_MARKER, r))
                        pam_log(&c->log, LOG_NOTICE,
                                "Watch file '%s/" WATCH_FILE_NAME "' is not of this module's "
                                "version (guardd of another release, or damaged): calls are "
                                "watched by the module's own thread (said once per boot).",
                                c->o->config.state_dir);
                return;
        }
        if (__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
                return;
        pam_log(&c->log, LOG_ERR,
                "Watch file '%s/" WATCH_FILE_NAME "' unusable: %s; calls are "
                "watched by the module's own thread.",
                c->o->config.state_dir,
                r == -EPERM ? "not root's or writable by others" : strerror(-r));
}

static pid_t ctx_pid(Ctx *c) {
        if (c->pid == 0)
                c->pid = getpid();
        return c->pid;
}

/* guardd's watch table, when this login may hand it the deadline: the
 * table is root's, so only as root (a user's setuid su is root here too);
 * a missing table (guardd never ran) is no table. */
static WatchFile *watch_for(Ctx *c) {
        int r;

        if (c->watch_looked)
                return c->watch;
        c->watch_looked = true;
        if (!c->o->config.guardd_watchdog || !c->root || c->breaker.dir_fd < 0)
                return NULL;
        c->watch = watch_table(c->breaker.dir_fd, ctx_pid(c), &r);
        report_watch(c, r);
        return c->watch;
}

static bool skip_because(Ctx *c, Fallback *f, bool skip, const char *state) {
        if (!skip)
                return false;
        f->code = "status";
        (void) snprintf(f->why, sizeof(f->why), "guardd reports %s %s", c->o->service_key,
                        *state ? state : "unhealthy");
        return true;
}

/* guardd's verdict from its watch table, when guardd watches and wrote it
 * for our status file less than max_age ago: the same values as the file,
 * with no system call. -ENOENT: read the file. */
static int verdict_says_skip(Ctx *c, Fallback *f, bool *ret_skip) {
        WatchFile *w = watch_for(c);
        int service = watch_service_from_key(c->o->service_key);
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        WatchVerdict v;

        if (!w || service < 0 || !watch_file_fresh(w, now) || !watch_verdict_read(w, &v) ||
            strcmp(v.status_path, c->o->config.status_path) != 0 || v.written_usec > now ||
            now - v.written_usec > c->o->config.max_age_usec)
                return -ENOENT;
        c->status_fresh = true;
        c->log.quiet = v.devlog_quiet;
        *ret_skip = skip_because(c, f, v.skip[service], v.state[service]);
        return 0;
}

/* The status file, read when guardd publishes no verdict in the watch
 * table. Not inlined: its 16 KiB buffer would sit in run()'s frame on
 * every login and put every later call on stack pages the process never
 * touched, a page fault each (bench/floor.sh). */
static __attribute__((noinline)) bool status_file_says_skip(Ctx *c, Fallback *f) {
        char buf[STATUS_MAX_SIZE + 2], action[16] = "", state[16] = "", devlog[16] = "";
        unsigned line = 0;
        StatusView v;
        size_t len;
        int r;

        r = read_trusted_file_into(AT_FDCWD, c->o->config.status_path, 0, buf, sizeof(buf), &len);
        if (r == 0)
                r = status_view_parse(buf, len, &v, &line);
        if (r == 0)
                r = status_view_check_fresh(&v, now_usec(CLOCK_MONOTONIC),
                                            c->o->config.max_age_usec);
        if (r != 0) {
                report_status(c, r, line);
                return false;
        }
        c->status_fresh = true;
        (void) status_view_get(&v, "DEVLOG", devlog, sizeof(devlog));
        /* No word from guardd on /dev/log means the logger may send (never blocking). */
        c->log.quiet = strcmp(devlog, "full") == 0 || strcmp(devlog, "stuck") == 0;
        if (status_view_get(&v, c->o->status_key, action, sizeof(action)) == 0)
                (void) status_view_get(&v, c->o->service_key, state, sizeof(state));
        return skip_because(c, f, strcmp(action, "skip") == 0, state);
}

/* Returns true when guardd's fresh status says to skip; fills @f. */
static bool status_says_skip(Ctx *c, Fallback *f) {
        bool skip = false;

        if (verdict_says_skip(c, f, &skip) == 0)
                return skip;
        return status_file_says_skip(c, f);
}

/* A stopped PID 1 cannot start the session's scope: logind would take the
 * request and hold it, and a cut then would not be clean. A fresh status
 * has said so already (guardd reads PID 1's state every round and then
 * says skip); without one the module looks itself. A PID 1 stopped since
 * guardd's last round is seen by the watchdog, which then waits. */
static bool pid1_says_skip(const Ctx *c, Fallback *f) {
        char buf[EVIDENCE_PID1_STAT_MAX];

        if (c->ep != EP_OPEN_SESSION || c->status_fresh || !evidence_pid1_stopped(buf, sizeof(buf)))
                return false;
        f->code = "pid1";
        (void) snprintf(f->why, sizeof(f->why), "PID 1 is stopped, so %s cannot complete",
                        c->o->target_name);
        return true;
}

/* The user's own breaker: looked at only when the host's record exists
 * (a per-user cut always makes it), so a host that never cut a call pays
 * nothing for it. */
static bool user_breaker_says_skip(Ctx *c, Fallback *f, uint64_t now) {
        BreakerVerdict v;

        if (!c->user || c->ep != EP_OPEN_SESSION || !c->breaker.exists)
                return false;
        if (breaker_open_user(&c->user_breaker, &c->breaker, c->o->target_name, c->user, false) < 0)
                return false;
        v = breaker_decide(&c->user_breaker, &c->bp, now);
        c->user_trial = v == BREAKER_TRIAL;
        if (v != BREAKER_SKIP)
                return false;
        f->code = "user";
        (void) snprintf(f->why, sizeof(f->why),
                        "%s recently could not complete this user's sessions (the user's own "
                        "circuit breaker open)",
                        c->o->target_name);
        return true;
}

static bool breaker_says_skip(Ctx *c, Fallback *f) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        BreakerVerdict v = breaker_decide(&c->breaker, &c->bp, now);

        c->trial = v == BREAKER_TRIAL;
        if (v != BREAKER_SKIP)
                return !c->trial && user_breaker_says_skip(c, f, now);
        f->code = "breaker";
        (void) snprintf(f->why, sizeof(f->why),
                        "%s was recently stuck (circuit breaker open)", c->o->target_name);
        return true;
}

static void notify_user(const Ctx *c, const Fallback *f) {
        const char *what =
                strcmp(c->o->service_key, "LOGIN1") == 0
                        ? "systemd-logind registration (no logind session or XDG_RUNTIME_DIR)"
                        : c->o->target_name;

        if (!c->o->config.notify || (c->flags & PAM_SILENT) || c->ep != EP_OPEN_SESSION)
                return;
        (void) pam_info(c->pamh, "loginguard: this session runs without %s: %s.", what, f->why);
}

/* Fail open: the login goes on without the wrapped module. */
static int fallback(Ctx *c, const Fallback *f) {
        char env[96];

        (void) snprintf(env, sizeof(env), "LOGINGUARD_FALLBACK=%s", f->code);
        (void) pam_putenv(c->pamh, env);
        if (c->hs && c->ep == EP_OPEN_SESSION)
                (void) snprintf(c->hs->fallback, sizeof(c->hs->fallback), "%s", f->code);
        pam_log(&c->log, LOG_WARNING, "%s %s skipped (%s): %s.", c->o->target_name,
                entry_point_to_string(c->ep), f->code, f->why);
        notify_user(c, f);
        return PAM_IGNORE;
}

static void record(Ctx *c, CallOutcome outcome) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        breaker_record(&c->breaker, &c->bp, now, outcome);
        /* The user's trial ends with an answer; a skip by the user's own
         * breaker is counted there too. */
        if (c->user_breaker.dir_fd >= 0 &&
            (outcome == OUTCOME_SKIPPED || (c->user_trial && outcome != OUTCOME_CUT)))
                breaker_record(&c->user_breaker, &c->bp, now, outcome);
}

/* A call logind had taken (its session file named this login) that then
 * did not complete within patience, with PID 1 neither stopped nor stuck:
 * logind waits on this user's own units (user@UID, user-runtime-dir@UID,
 * the session scope). That is the user's trouble, not logind's. */
static bool user_scoped(const Ctx *c, const GuardResult *res) {
        return c->user && c->ep == EP_OPEN_SESSION && res->patience_over &&
               (res->waited & GUARD_WAIT_TAKEN) && !(res->waited & GUARD_WAIT_PID1);
}

/* Counted against the user's own breaker; the host's only counts it, and
 * its trial (if this was it) ends: logind did take the call. Stuck calls
 * of TRIP_USERS users within the window are the host's trouble after all. */
static void record_user_cut(Ctx *c) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        unsigned n;

        if (!c->privileged)
                return;
        if (c->user_breaker.dir_fd < 0) {
                breaker_close(&c->user_breaker);
                (void) breaker_open_user(&c->user_breaker, &c->breaker, c->o->target_name, c->user,
                                         true);
        }
        breaker_record(&c->user_breaker, &c->bp, now, OUTCOME_CUT);
        breaker_count(&c->breaker, OUTCOME_CUT, now);
        breaker_record(&c->breaker, &c->bp, now, OUTCOME_OK); /* ends a host trial only */
        n = breaker_users_stuck(&c->user_breaker, c->o->target_name, &c->bp, now, TRIP_USERS);
        if (n >= TRIP_USERS && breaker_trip(&c->breaker, now))
                pam_log(&c->log, LOG_WARNING,
                        "%s: calls of %u different users stuck within %llu s: the breaker opens "
                        "for every login.",
                        c->o->target_name, n,
                        (unsigned long long) (c->bp.window_usec / USEC_PER_SEC));
}

/* A call cut and then retried by the module can still end registered:
 * then the session is logind's, and close_session must run normally. */
static bool registered_anyway(const Ctx *c, int rc) {
        return c->ep == EP_OPEN_SESSION && rc == PAM_SUCCESS &&
               pam_getenv(c->pamh, "XDG_SESSION_ID") != NULL;
}

static CallOutcome outcome_of(const Ctx *c, const GuardResult *res) {
        if (res->n_cut == 0)
                return res->fired ? OUTCOME_LATE : OUTCOME_OK;
        return registered_anyway(c, res->rc) ? OUTCOME_LATE : OUTCOME_CUT;
}

static void log_late(const Ctx *c, const GuardResult *res) {
        pam_log(&c->log, LOG_NOTICE,
                "%s %s answered after %llu ms, past the deadline of %llu ms: %s; not cut.",
                c->o->target_name, entry_point_to_string(c->ep),
                (unsigned long long) (res->elapsed_usec / USEC_PER_MSEC),
                (unsigned long long) (c->o->config.deadline_usec / USEC_PER_MSEC),
                res->waited & GUARD_WAIT_TAKEN ? "logind was completing the session"
                : res->waited & GUARD_WAIT_PID1 ? "PID 1 was stopped or stuck"
                                                : "nothing to cut");
}

static int cut_fallback(Ctx *c, const GuardResult *res) {
        bool patience = res->patience_over;
        Fallback f = { .code = patience ? "patience" : "deadline" };
        uint64_t limit = patience ? c->o->config.patience_usec : c->o->config.deadline_usec;

        (void) snprintf(f.why, sizeof(f.why), "%s did not %s within %s%llu ms (%u connection%s cut)",
                        c->o->target_name, patience ? "complete" : "answer",
                        patience ? "patience=" : "", (unsigned long long) (limit / USEC_PER_MSEC),
                        res->n_cut, res->n_cut == 1 ? "" : "s");
        return fallback(c, &f);
}

/* The sockets that may not be cut: those before open_session, for both
 * calls of a session (pam_systemd's bus connection from open_session may
 * be cut at close_session); those before the call otherwise. */
static int sockets_to_keep(Ctx *c, SockTable *own, const SockTable **ret) {
        int r;

        if (c->hs && (c->ep == EP_CLOSE_SESSION && c->hs->have_keep)) {
                *ret = &c->hs->keep;
                return 0;
        }
        r = socktable_snapshot(own);
        if (r < 0)
                return r;
        if (c->hs && c->ep == EP_OPEN_SESSION) {
                socktable_done(&c->hs->keep);
                c->hs->keep = *own;
                c->hs->have_keep = true;
                *own = (SockTable){};
                *ret = &c->hs->keep;
                return 0;
        }
        *ret = own;
        return 0;
}

static void evidence_init(const Ctx *c, pid_t pid, Evidence *e) {
        *e = (Evidence){
                .pid = (int) pid,
                .since_sec = (int64_t) time(NULL) - 2,
                .owner = 0,
                .max_age_usec = c->o->config.max_age_usec,
        };
        (void) snprintf(e->sessions_dir, sizeof(e->sessions_dir), "%s", c->o->config.sessions_dir);
        (void) snprintf(e->status_path, sizeof(e->status_path), "%s", c->o->config.status_path);
}

static int guarded(Ctx *c, pam_sm_fn fn, GuardResult *res) {
        _cleanup_(socktable_done) SockTable own = {};
        const SockTable *keep = NULL;
        CutFilter filter;
        Evidence ev;
        GuardCall call = {
                .fn = fn,
                .pamh = c->pamh,
                .flags = c->flags,
                .argc = c->o->wrapped_argc,
                .argv = c->o->wrapped_argv,
                .deadline_usec = c->o->config.deadline_usec,
                .patience_usec = c->o->config.patience_usec,
                .filter = &filter,
                .user = !c->privileged,
                .pid = ctx_pid(c),
        };
        int r;

        r = sockets_to_keep(c, &own, &keep);
        if (r < 0)
                return r;
        call.keep = keep;
        cut_filter_init(&filter, secure_getenv("DBUS_SYSTEM_BUS_ADDRESS"),
                        c->o->config.devlog_path);
        if (c->ep == EP_OPEN_SESSION) {
                evidence_init(c, call.pid, &ev);
                call.evidence = &ev;
        }
        call.watch = watch_for(c);
        return guard_call(&call, res);
}

static int call_wrapped(Ctx *c, pam_sm_fn fn) {
        GuardResult res;
        CallOutcome outcome;
        int r;

        r = guarded(c, fn, &res);
        if (r < 0) {
                /* No thread, memory or /proc to guard it: an unguarded call
                 * could hang the login for minutes, so skip it (fail open). */
                Fallback f = { .code = "resources" };

                (void) snprintf(f.why, sizeof(f.why), "cannot guard the call: %s", strerror(-r));
                pam_log(&c->log, LOG_CRIT, "Cannot guard %s: %s.", c->o->target_name,
                        strerror(-r));
                return fallback(c, &f);
        }
        outcome = outcome_of(c, &res);
        if (outcome == OUTCOME_CUT && user_scoped(c, &res))
                record_user_cut(c);
        else
                record(c, outcome);
        pam_log(&c->log, LOG_DEBUG,
                "%s %s answered %d after %llu us (%u cut, waited 0x%x, watched by %s)%s "
                "(loginguard %s).",
                c->o->target_name, entry_point_to_string(c->ep), res.rc,
                (unsigned long long) res.elapsed_usec, res.n_cut, res.waited,
                res.by_guardd ? "guardd" : "a thread", c->trial ? ", the breaker's trial" : "",
                LOGINGUARD_VERSION);
        if (outcome == OUTCOME_LATE)
                log_late(c, &res);
        else if (outcome == OUTCOME_OK && res.elapsed_usec >= c->o->config.slow_usec)
                pam_log(&c->log, LOG_NOTICE, "%s %s was slow: %llu ms.", c->o->target_name,
                        entry_point_to_string(c->ep),
                        (unsigned long long) (res.elapsed_usec / USEC_PER_MSEC));
        return outcome == OUTCOME_CUT ? cut_fallback(c, &res) : res.rc;
}

/* Fail open: a target that cannot be loaded is treated as absent. */
static int load_target(Ctx *c, pam_sm_fn *ret) {
        Fallback f = { .code = "target" };
        int r;

        r = target_load(c->o->target_path, c->ep, ret);
        if (r >= 0)
                return 0;
        pam_log(&c->log, LOG_ERR, "Refusing to load '%s': %s.", c->o->target_path,
                r == -EPERM ? "not owned by root or writable by others" : strerror(-r));
        (void) snprintf(f.why, sizeof(f.why), "%s cannot be loaded", c->o->target_name);
        return fallback(c, &f);
}

static void open_breaker(Ctx *c) {
        static bool said_state_dir;
        const ModuleConfig *cfg = &c->o->config;
        int r;

        c->bp = (BreakerParams){
                .trip = cfg->trip,
                .window_usec = cfg->window_usec,
                .cooldown_usec = cfg->cooldown_usec,
                .trial_timeout_usec = MAX(cfg->patience_usec, cfg->deadline_usec) +
                                      cfg->deadline_usec + TRIAL_MARGIN_USEC,
        };
        r = breaker_open(&c->breaker, cfg->state_dir, c->o->target_name, c->privileged, 0);
        if (r >= 0 || r == -ENOENT || __atomic_exchange_n(&said_state_dir, true, __ATOMIC_RELAXED))
                return;
        pam_log(&c->log, LOG_ERR, "State directory '%s' unusable: %s; running without the breaker.",
                cfg->state_dir, r == -EPERM ? "not root's or writable by others" : strerror(-r));
}

static void report_breaker(Ctx *c) {
        static bool said;

        if (c->breaker.error == 0 || __atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
                return;
        pam_log(&c->log, LOG_ERR, "Breaker file '%s/%s' unusable: %s; ignoring it.",
                c->o->config.state_dir, c->breaker.name,
                c->breaker.error == -EPERM ? "not root's or writable by others"
                                           : strerror(-c->breaker.error));
}

/* The decisions come before the target is loaded: dlopen() of pam_systemd
 * costs about a millisecond, which a skipped login should not pay. */
static int decide_and_call(Ctx *c, pam_sm_fn fn) {
        Fallback f = {};
        int rc;

        if (status_says_skip(c, &f) || pid1_says_skip(c, &f) || breaker_says_skip(c, &f)) {
                record(c, OUTCOME_SKIPPED);
                return fallback(c, &f);
        }
        if (!fn) {
                rc = load_target(c, &fn);
                /* A claimed trial that cannot run is given to another login after its timeout. */
                if (rc != 0 || !fn)
                        return rc != 0 ? rc : PAM_IGNORE;
        }
        return call_wrapped(c, fn);
}

static bool is_session(EntryPoint ep) {
        return ep == EP_OPEN_SESSION || ep == EP_CLOSE_SESSION;
}

/* The state of one handle at a time lives in the module's own data page,
 * which the loader has already written: from the heap, its 2.9 KiB sat
 * below everything the wrapped module allocates next and pushed that onto
 * a page the login had not touched, a page fault that costs 10 to 15 us on
 * some VMs (bench/count.sh). Handles open at the same time as that one
 * (threads) get theirs from the heap. The module is never unloaded (-z
 * nodelete), so the page outlives every handle; test-install checks that
 * .data and .bss still fit in that one page. */
static HandleState first_state;
static bool first_state_taken;

static HandleState *state_new(void) {
        if (!__atomic_exchange_n(&first_state_taken, true, __ATOMIC_ACQUIRE)) {
                first_state = (HandleState){};
                return &first_state;
        }
        return calloc(1, sizeof(HandleState));
}

static void state_release(HandleState *hs) {
        if (hs == &first_state)
                __atomic_store_n(&first_state_taken, false, __ATOMIC_RELEASE);
        else
                free(hs);
}

static void state_free(pam_handle_t *pamh _unused_, void *data, int error_status _unused_) {
        HandleState *hs = data;

        socktable_done(&hs->keep);
        state_release(hs);
}

/* The handle's state of this pam_loginguard line, found by its wrap= value. */
static void state_key(int argc, const char **argv, char *buf, size_t size) {
        const char *wrap = "";

        for (int i = 0; i < argc; i++)
                if (strncmp(argv[i], "wrap=", 5) == 0) {
                        wrap = argv[i] + 5;
                        break;
                }
        (void) snprintf(buf, size, "loginguard:%s", wrap);
}

/* Parses the options, or for close_session reuses open_session's. Fail
 * open: a broken line must not stop logins (it is logged). */
/* The options: open_session's are kept with the handle for
 * close_session; any other entry point's are freed by the caller (@own,
 * on the heap: several KiB in run()'s frame would cost every login page
 * faults on stack pages it never otherwise touches). */
static int ctx_options(Ctx *c, Options **own, int argc, const char **argv) {
        const void *data = NULL;
        char key[CONFIG_PATH_MAX + 16];
        HandleState *hs;

        state_key(argc, argv, key, sizeof(key));
        if (c->ep == EP_CLOSE_SESSION && pam_get_data(c->pamh, key, &data) == PAM_SUCCESS && data) {
                c->hs = (HandleState *) (uintptr_t) data; /* ours: set at open_session */
                c->o = &c->hs->o;
                return 0;
        }
        if (c->ep != EP_OPEN_SESSION) {
                *own = malloc(sizeof(**own));
                if (!*own)
                        return -ENOMEM;
                c->o = *own;
                return options_parse(&c->log, argc, argv, *own);
        }
        hs = state_new();
        if (!hs)
                return -ENOMEM;
        if (options_parse(&c->log, argc, argv, &hs->o) < 0 ||
            pam_set_data(c->pamh, key, hs, state_free) != PAM_SUCCESS) {
                state_release(hs);
                return -EINVAL;
        }
        c->hs = hs;
        c->o = &hs->o;
        return 0;
}

static int run(pam_handle_t *pamh, int flags, int argc, const char **argv, EntryPoint ep) {
        Ctx c = { .pamh = pamh,
                  .flags = flags,
                  .ep = ep,
                  .breaker.dir_fd = -EBADF,
                  .user_breaker = { .dir_fd = -EBADF, .map.fd = -EBADF } };
        const void *item = NULL;
        _cleanup_free_ Options *own = NULL;
        pam_sm_fn fn = NULL;
        uid_t ruid = (uid_t) -1, euid = (uid_t) -1, suid;
        int rc;

        pam_log_init(&c.log, pamh, entry_point_type(ep));
        /* Both ids in one system call: cannot fail with valid pointers. */
        (void) getresuid(&ruid, &euid, &suid);
        c.root = euid == 0;
        c.privileged = c.root && ruid == 0;
        if (ctx_options(&c, &own, argc, argv) < 0)
                return PAM_IGNORE;
        c.log.path = c.o->config.devlog_path;
        c.log.debug = c.o->config.debug;
        if (ep == EP_CLOSE_SESSION && c.hs && *c.hs->fallback)
                return PAM_IGNORE; /* open_session went on without the module */
        /* Outside the session phase, load first so that an entry point the
         * target does not export answers PAM_IGNORE without a fallback. */
        if (!is_session(ep)) {
                rc = load_target(&c, &fn);
                if (rc != 0 || !fn)
                        return rc != 0 ? rc : PAM_IGNORE;
        }
        /* The user name as the application gave it: no NSS lookup. */
        if (pam_get_item(pamh, PAM_USER, &item) == PAM_SUCCESS && item && *(const char *) item)
                c.user = item;
        open_breaker(&c);
        rc = decide_and_call(&c, fn);
        report_breaker(&c);
        breaker_close(&c.user_breaker);
        breaker_close(&c.breaker);
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
