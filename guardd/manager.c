/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon loop on sd-event and the wiring of the probes into one
 * Observation per round. Signals: SIGHUP reloads the config, SIGTERM and
 * SIGINT end the loop. Notifications (READY, WATCHDOG, STATUS) go through
 * notify.c, which never blocks on PID 1.
 */
#include "manager.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "breaker-file.h"
#include "io-util.h"
#include "log.h"
#include "macro.h"
#include "output.h"
#include "parse-util.h"

#define PROC_RESCAN_USEC (30 * USEC_PER_SEC)
#define READER_RETRY_USEC (5 * USEC_PER_SEC)
#define USERDB_SOCKET "/run/systemd/userdb/io.systemd.DynamicUser"
/* Asks PID 1 for a user that cannot exist: any answer proves it reads. */
#define USERDB_REQUEST \
        "{\"method\":\"io.systemd.UserDatabase.GetUserRecord\",\"parameters\":{\"userName\":" \
        "\"loginguard-probe-no-such-user\",\"service\":\"io.systemd.DynamicUser\"}}"
#define ONCE_MIN_WAIT_USEC (100 * USEC_PER_MSEC)
#define ONCE_STEP_USEC (50 * USEC_PER_MSEC)
/* The first round is judged just after the first calls' deadline. */
#define FIRST_ROUND_SLACK_USEC (10 * USEC_PER_MSEC)
/* Where Debian's prometheus-node-exporter reads textfiles (its
 * ARGS=--collector.textfile.directory in /etc/default). */
#define NODE_EXPORTER_TEXTFILE_DIR "/var/lib/prometheus/node-exporter"

static const char *const logind_comms[] = { "systemd-logind", "elogind", NULL };
static const char *const bus_comms[] = { "dbus-daemon", "dbus-broker", NULL };
static const char *const ck_comms[] = { "console-kit-dae", NULL };
static const char *const init_comms[] = { NULL };

static void request_early_verdict(void *userdata);

static const char *bus_address_of(const Config *c) {
        const char *e = secure_getenv("DBUS_SYSTEM_BUS_ADDRESS");

        if (*c->bus_address)
                return c->bus_address;
        return e && *e ? e : "unix:path=/run/dbus/system_bus_socket";
}

/**
 * manager_load_config() - read guardd's config, reporting with file:line.
 * @path: explicit file, or NULL for the default lookup
 * @ret: the config; untouched unless the file is good
 *
 * Return: 0, or a negative/positive error already logged.
 */
int manager_load_config(const char *path, Config *ret) {
        ConfigError e = {};
        Config c;
        int r;

        assert(ret);
        config_init(&c);
        r = config_load(&c, path, geteuid(), &path, &e);
        if (r > 0)
                return log_error("%s: %s, refusing it.", path, trust_strerror(r)), -EPERM;
        if (r < 0 && e.line > 0)
                return log_error("%s:%u: %s '%s'.", path, e.line, config_strerror(r), e.key), r;
        if (r < 0)
                return log_error_errno(r, "Failed to read '%s': %m", path);
        *ret = c;
        log_set_debug(c.debug);
        return 0;
}

static void init_probes(Manager *m) {
        m->procs[PROC_LOGIN1] = (ProcWatch){ .key = "LOGIN1", .comms = logind_comms };
        m->procs[PROC_BUS] = (ProcWatch){ .key = "BUS", .comms = bus_comms };
        m->procs[PROC_CONSOLEKIT] = (ProcWatch){ .key = "CONSOLEKIT", .comms = ck_comms };
        m->procs[PROC_PID1] = (ProcWatch){ .key = "PID1", .comms = init_comms, .pid = 1, .last_pid = 1 };
        m->sessions = (DirCount){ .path = m->config.sessions_dir };
        m->scopes = (DirCount){ .path = m->config.units_dir, .prefix = "session-", .infix = ".scope" };
        devlog_probe_init(&m->devlog, m->config.devlog_path);
        bus_probe_init(&m->bus, m->event, bus_address_of(&m->config), m->config.probe_timeout_usec);
        m->bus.on_timeout = request_early_verdict;
        m->bus.userdata = m;
        varlink_ping_init(&m->userdb, m->event, USERDB_SOCKET, USERDB_REQUEST,
                          m->config.probe_timeout_usec);
        (void) host_stats_init(&m->host, m->config.mountinfo_path);
        remedy_init(&m->remedy);
        alerter_init(&m->alerter, m->event);
        notifier_init(&m->notifier);
}

/**
 * manager_new() - allocate guardd and read its config. Changes nothing on
 * disk: `guardd check-config` and `guardd --once` stop here (or at
 * manager_once()).
 * @config_path: explicit config, or NULL
 * @ret: the manager
 *
 * Return: 0 or -errno (config errors are logged).
 */
int manager_new(const char *config_path, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        assert(ret);
        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->config_path = config_path;
        m->host.mountinfo_fd = -EBADF;
        r = manager_load_config(config_path, &m->config);
        if (r < 0)
                return r; /* NOLINT(clang-analyzer-unix.Malloc): _cleanup_ */
        r = sd_event_new(&m->event);
        if (r < 0)
                return r;
        init_probes(m);
        watcher_init(&m->watcher);
        (void) snprintf(m->overall, sizeof(m->overall), "ok");
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        watcher_done(&m->watcher);
        bus_probe_done(&m->bus);
        varlink_ping_done(&m->userdb);
        devlog_probe_done(&m->devlog);
        remedy_done(&m->remedy);
        alerter_done(&m->alerter);
        notifier_done(&m->notifier);
        host_stats_done(&m->host);
        sd_event_source_disable_unref(m->round_timer);
        sd_event_source_disable_unref(m->mount_source);
        sd_event_source_disable_unref(m->early_source);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

/* ---- probing ------------------------------------------------------------ */

static void update_pids(Manager *m, uint64_t now) {
        static const struct {
                int proc;
                int service;
        } map[] = { { PROC_LOGIN1, BUS_SERVICE_LOGIN1 }, { PROC_CONSOLEKIT, BUS_SERVICE_CONSOLEKIT } };
        const BusProbe *b = &m->bus;

        for (size_t i = 0; i < ELEMENTSOF(map); i++) {
                const ServiceProbe *s = &b->services[map[i].service];
                if (s->pid.answered && s->pid.error == 0)
                        proc_watch_set_pid(&m->procs[map[i].proc], (pid_t) s->owner_pid, now);
        }
        if (b->daemon_pid.answered && b->daemon_pid.error == 0)
                proc_watch_set_pid(&m->procs[PROC_BUS], (pid_t) b->bus_pid, now);
        /* Without the bus, find them by name now and then (a /proc walk;
         * processes running as root only). */
        if (m->last_proc_scan_usec > 0 && now < m->last_proc_scan_usec + PROC_RESCAN_USEC)
                return;
        m->last_proc_scan_usec = now;
        for (int i = 0; i < PROC_PID1; i++)
                if (m->procs[i].pid <= 0)
                        proc_watch_set_pid(&m->procs[i], proc_find_by_comm(m->procs[i].comms), now);
}

/* Keep the reader known: re-resolve when it died, the path now names
 * another socket, or (rate-limited) when it was never found. */
static void track_reader(Manager *m, uint64_t now) {
        DevlogReader *r = &m->reader;
        struct stat st;
        bool moved;

        if (m->devlog.state == DEVLOG_ABSENT) {
                *r = (DevlogReader){};
                return;
        }
        moved = stat(m->config.devlog_path, &st) < 0 || st.st_ino != r->path_ino ||
                st.st_dev != r->path_dev;
        if (!moved && devlog_reader_alive(r))
                return;
        if (!moved && r->pid == 0 && now < m->reader_lookup_usec + READER_RETRY_USEC)
                return;
        m->reader_lookup_usec = now;
        *r = (DevlogReader){};
        if (devlog_reader_find(m->config.devlog_path, r) < 0)
                *r = (DevlogReader){};
}

static void sample_devlog(Manager *m, uint64_t now) {
        (void) devlog_probe_run(&m->devlog, now, m->config.devlog_stuck_usec);
        track_reader(m, now);
        /* A stopped reader is stuck at once, full queue or not; and one the
         * drain covers for is stuck until the drain says it reads again
         * (the room the drain makes is not the reader's doing). */
        if ((m->reader.state == 'T' || m->remedy.draining) && m->devlog.state != DEVLOG_ABSENT) {
                if (m->devlog.full_since_usec == 0)
                        m->devlog.full_since_usec = now;
                m->devlog.state = DEVLOG_STUCK;
        }
        m->census = (Census){};
        if (m->devlog.state != DEVLOG_OK && m->devlog.state != DEVLOG_ABSENT && m->reader.pid > 0)
                (void) devlog_census(&m->reader, &m->census);
        remedy_round(&m->remedy, &m->config, &m->devlog, &m->reader, now);
}

/* The target a breaker file guards, as the module names its status entry. */
static int breaker_service(const char *name) {
        const char *target = name + strlen(BREAKER_FILE_PREFIX);

        if (strcmp(target, "pam_systemd") == 0 || strcmp(target, "pam_elogind") == 0)
                return OBS_LOGIN1;
        return strcmp(target, "pam_ck_connector") == 0 ? OBS_CONSOLEKIT : -1;
}

/* The module's breaker files: the fallbacks they count, and their states. */
static FallbackCounts read_breakers(const Config *c, BreakerObs ret[_OBS_SERVICE_MAX]) {
        _cleanup_(closedirp) DIR *d = NULL;
        FallbackCounts sum = {};

        for (unsigned i = 0; i < _OBS_SERVICE_MAX; i++)
                ret[i] = (BreakerObs){};
        d = opendir(c->state_dir);
        if (!d)
                return sum;
        for (struct dirent *de; (de = readdir(d));) {
                BreakerRecord r;
                int svc;

                if (strncmp(de->d_name, BREAKER_FILE_PREFIX, strlen(BREAKER_FILE_PREFIX)) != 0 ||
                    breaker_file_read(dirfd(d), de->d_name, geteuid(), &r) < 0)
                        continue;
                sum.all += r.fallbacks;
                sum.skipped += r.skips;
                sum.cut += r.cuts;
                svc = breaker_service(de->d_name);
                if (svc >= 0 && BREAKER_WORD_STATE(r.word) >= ret[svc].state) {
                        ret[svc].known = true;
                        ret[svc].state = BREAKER_WORD_STATE(r.word);
                }
        }
        return sum;
}

/* A closed per-user breaker whose last cut is older than the window
 * decides nothing (closed is what no file means) and its counters are in
 * the host's record too: removed, so that the directory holds only users
 * with recent trouble (a 4 KiB page each on tmpfs). An hour at least: a
 * window given as a module argument may be longer than the file's. */
#define USER_BREAKER_KEEP_USEC (3600 * UINT64_C(1000000))
#define USER_SCAN_EVERY_USEC (10 * UINT64_C(1000000))

static bool user_breaker_stale(const BreakerRecord *r, const Config *c, uint64_t now) {
        return BREAKER_WORD_STATE(r->word) == BREAKER_CLOSED && r->last_cut_usec <= now &&
               now - r->last_cut_usec > MAX(c->window_usec, USER_BREAKER_KEEP_USEC);
}

/* Users whose own breaker is open (their logins skip pam_systemd while
 * everybody else's call it): counted for on-call, never summed into
 * FALLBACKS (the host's record counts those logins already). */
typedef struct UserCount {
        const Config *c;
        uint64_t now;
        unsigned open;
} UserCount;

static bool count_user(int dir_fd, const char *name, const BreakerRecord *r, void *userdata) {
        UserCount *u = userdata;

        if (BREAKER_WORD_STATE(r->word) != BREAKER_CLOSED)
                u->open++;
        else if (user_breaker_stale(r, u->c, u->now))
                (void) unlinkat(dir_fd, name, 0);
        return true;
}

static unsigned count_user_breakers(const Config *c) {
        _cleanup_close_ int state_fd = -EBADF, users_fd = -EBADF;
        UserCount u = { .c = c, .now = now_usec(CLOCK_MONOTONIC) };

        state_fd = open(c->state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (state_fd < 0)
                return 0;
        users_fd = breaker_users_dir_open(state_fd, geteuid(), false);
        if (users_fd < 0)
                return 0;
        breaker_users_walk(users_fd, BREAKER_FILE_PREFIX, geteuid(), count_user, &u);
        return u.open;
}

static void sample(Manager *m, uint64_t now) {
        FallbackCounts f;

        update_pids(m, now);
        for (int i = 0; i < _PROC_MAX; i++)
                proc_watch_sample(&m->procs[i], now);
        (void) dir_count_update(&m->sessions);
        (void) dir_count_update(&m->scopes);
        host_stats_sample(&m->host, now, m->bus.jobs,
                          verdict_pid1_idle(m->procs[PROC_PID1].cpu_percent, &m->config));
        varlink_ping_finish(&m->userdb, now);
        sample_devlog(m, now);
        f = read_breakers(&m->config, m->obs.breakers);
        /* Counted from guardd's start; a smaller sum (files removed, a new
         * boot's records) starts the count again. */
        if (!m->fallbacks_base_set || f.all < m->fallbacks_base.all ||
            f.skipped < m->fallbacks_base.skipped || f.cut < m->fallbacks_base.cut) {
                m->fallbacks_base = f;
                m->fallbacks_base_set = true;
        }
        m->obs.fallbacks = f.all - m->fallbacks_base.all;
        m->obs.fallbacks_skipped = f.skipped - m->fallbacks_base.skipped;
        m->obs.fallbacks_cut = f.cut - m->fallbacks_base.cut;
        /* Reading every user's record costs ~30 us each (10,000 users: a
         * third of a second): at most every 10 s. */
        if (m->user_scan_usec == 0 || now - m->user_scan_usec >= USER_SCAN_EVERY_USEC) {
                m->user_breakers_open = count_user_breakers(&m->config);
                m->user_scan_usec = now;
        }
        m->obs.user_breakers_open = m->user_breakers_open;
}

/* ---- the observation ------------------------------------------------------ */

static void observe_service(const ServiceProbe *s, uint64_t now, ServiceObs *o) {
        *o = (ServiceObs){
                .state = s->state,
                .ping_valid = s->ping_valid,
                .ping_usec = s->last_ping_usec,
                .unanswered_usec = s->unanswered_since_usec ? now - s->unanswered_since_usec : 0,
                .queued_known = s->queued_known,
                .queued_bytes = s->queued_bytes,
                .queue_trend_per_s = s->queue_trend_per_s,
                .queue_growth = s->queue_growth,
        };
}

static void observe_proc(const ProcWatch *w, uint64_t now, ProcObs *o) {
        *o = (ProcObs){
                .pid = w->pid,
                .cpu_percent = w->cpu_percent,
                .rss_bytes = w->rss_bytes,
                .state = w->state,
                .restarts = w->restarts,
                .since_restart_usec = w->last_restart_usec ? now - w->last_restart_usec : 0,
        };
        memcpy(o->comm, w->comm, sizeof(o->comm));
}

static void observe_pid1(const Manager *m, uint64_t now, Pid1Obs *o) {
        const ServiceProbe *s = &m->bus.services[BUS_SERVICE_SYSTEMD1];

        *o = (Pid1Obs){
                .bus = s->state,
                .bus_ping_usec = s->last_ping_usec,
                .bus_unanswered_usec = s->unanswered_since_usec ? now - s->unanswered_since_usec : 0,
                .userdb = m->userdb.state,
                .userdb_usec = m->userdb.rtt_usec,
                .userdb_unanswered_usec =
                        m->userdb.unanswered_since_usec ? now - m->userdb.unanswered_since_usec : 0,
                .jobs_per_s = m->host.jobs_per_s,
                .jobs_window = m->host.jobs,
        };
}

static void observe_host(const Manager *m, HostObs *o) {
        *o = (HostObs){
                .forks_per_s = m->host.forks_per_s,
                .mounts = m->host.mounts,
                .mount_changes_per_s = m->host.mount_changes_per_s,
                .mount_changes_window = m->host.mount_changes,
                .mounts_delta_window = m->host.mounts_delta,
                .busy_mount_changes = m->host.busy_mount_changes,
                .busy_mounts_delta = m->host.busy_mounts_delta,
                .sessions_valid = m->sessions.valid,
                .sessions = m->sessions.count,
                .scopes_valid = m->scopes.valid,
                .scopes = m->scopes.count,
        };
        o->fs_known = fs_used_percent(m->config.sessions_dir, &o->fs_used_percent) >= 0;
}

static void observe_devlog(const Manager *m, uint64_t now, DevlogObs *o) {
        *o = (DevlogObs){
                .state = m->devlog.state,
                .full_usec = m->devlog.full_since_usec ? now - m->devlog.full_since_usec : 0,
                .reader_pid = m->reader.pid,
                .reader_state = m->reader.state,
                .census = m->census,
        };
        (void) snprintf(o->path, sizeof(o->path), "%s", m->devlog.path);
        memcpy(o->reader_comm, m->reader.comm, sizeof(o->reader_comm));
        memcpy(o->reader_unit, m->reader.unit, sizeof(o->reader_unit));
        remedy_observe(&m->remedy, &o->remedy);
}

static void observe_watch(const Manager *m, WatchObs *o) {
        const Watcher *w = &m->watcher;

        *o = (WatchObs){
                .watching = w->map.file && !w->stopping,
                .armed = watcher_armed(w),
                .calls = w->map.file ? __atomic_load_n(&w->map.file->armed_total, __ATOMIC_RELAXED) : 0,
                .cuts = w->cuts,
        };
        (void) snprintf(o->why_not, sizeof(o->why_not), "%s",
                        w->stopping ? "stopping" : w->why_not ? w->why_not : "");
}

/* Everything this round saw, as plain data for the verdict. */
static void observe(Manager *m, uint64_t now, Observation *o) {
        o->user_jobs_known = m->bus.user_jobs_known;
        o->n_user_jobs = user_jobs_observe(m->bus.user_jobs, m->bus.n_user_jobs, now,
                                           m->config.sessions_dir, "/etc/passwd", o->user_jobs);
        o->now = now;
        o->realtime_usec = now_usec(CLOCK_REALTIME);
        o->bus = m->bus.state;
        o->bus_bad_usec = m->bus.bad_since_usec ? now - m->bus.bad_since_usec : 0;
        (void) snprintf(o->bus_address, sizeof(o->bus_address), "%s", m->bus.address);
        observe_service(&m->bus.services[BUS_SERVICE_LOGIN1], now, &o->services[OBS_LOGIN1]);
        observe_service(&m->bus.services[BUS_SERVICE_CONSOLEKIT], now, &o->services[OBS_CONSOLEKIT]);
        for (int i = 0; i < _PROC_MAX; i++)
                observe_proc(&m->procs[i], now, &o->procs[i]);
        observe_pid1(m, now, &o->pid1);
        observe_host(m, &o->host);
        observe_devlog(m, now, &o->devlog);
        observe_watch(m, &o->watch);
        o->guardd_pid = getpid();
        o->interval_usec = m->config.interval_usec;
        o->rounds = m->rounds;
        o->round_usec = m->round_cost_usec;
        o->late_calls = m->bus.late_calls + m->userdb.late_calls;
        o->log_dropped = log_dropped();
        o->notify_dropped = m->notifier.dropped;
}

/* ---- publishing ----------------------------------------------------------- */

static void log_transition(Manager *m, const Status *s) {
        const char *overall = status_get(s, "OVERALL"), *summary = status_get(s, "SUMMARY");

        if (!overall || strcmp(overall, m->overall) == 0)
                return;
        if (strcmp(overall, "ok") == 0)
                log_notice("Recovered: %s", summary ? summary : "");
        else
                log_warning("%s: %s", overall, summary ? summary : "");
        (void) snprintf(m->overall, sizeof(m->overall), "%s", overall);
}

static void notify(Manager *m, const Status *s) {
        const char *summary = status_get(s, "SUMMARY");
        char msg[640];

        (void) snprintf(msg, sizeof(msg), "%sWATCHDOG=1\nSTATUS=%s", m->ready_sent ? "" : "READY=1\n",
                        summary ? summary : "");
        (void) notifier_send(&m->notifier, msg);
        m->ready_sent = true;
}

/* The one publish step of both round paths: judge, write, tell. */
static int publish(Manager *m, uint64_t now, bool daemon, Status **ret) {
        _cleanup_(status_freep) Status *s = NULL;
        int r;

        observe(m, now, &m->obs);
        r = verdict_compose(&m->obs, &m->config, &m->verdict, &s);
        if (r < 0)
                return log_error_errno(r, "Failed to compose the status: %m");
        r = status_write(s, m->config.status_path);
        if (r < 0)
                log_error_errno(r, "Failed to write '%s': %m", m->config.status_path);
        if (daemon)
                watcher_publish(&m->watcher, s, &m->config);
        if (daemon && *m->metrics_path) {
                r = output_write_metrics(s, m->metrics_path);
                if (r < 0)
                        log_error_errno(r, "Failed to write '%s': %m", m->metrics_path);
        }
        if (daemon) {
                notify(m, s);
                log_transition(m, s);
                alerter_consider(&m->alerter, &m->config, s, now);
        }
        if (ret)
                *ret = TAKE_PTR(s);
        return 0;
}

/* One round; returns the status it wrote. */
static int round_run(Manager *m, bool daemon, Status **ret) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        int r;

        bus_probe_finish_round(&m->bus, now, m->config.login1_slow_usec);
        sample(m, now);
        r = publish(m, now, daemon, ret);
        m->rounds++;
        bus_probe_start_round(&m->bus, now);
        varlink_ping_start(&m->userdb, now);
        m->round_cost_usec = now_usec(CLOCK_MONOTONIC) - now;
        return r;
}

/* A call ran out of time: judge and publish now, send nothing new. */
static int on_early_verdict(sd_event_source *source, void *userdata) {
        Manager *m = userdata;
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        m->early_source = sd_event_source_disable_unref(m->early_source);
        bus_probe_finish_round(&m->bus, now, m->config.login1_slow_usec);
        (void) publish(m, now, true, NULL);
        return 0;
}

static void request_early_verdict(void *userdata) {
        Manager *m = userdata;

        if (!m->early_source && m->ready_sent)
                (void) sd_event_add_defer(m->event, &m->early_source, on_early_verdict, m);
}

static int on_round(sd_event_source *source, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        (void) round_run(m, true, NULL);
        (void) sd_event_source_set_time(source, usec + m->config.interval_usec);
        (void) sd_event_source_set_enabled(source, SD_EVENT_ON);
        return 0;
}

static int on_mounts(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;

        return host_mounts_event(&m->host);
}

/* metrics_path = auto (the default): the directory Debian's
 * prometheus-node-exporter reads *.prom files from, when it is installed;
 * off otherwise. Looked up at start and at each reload. */
static void resolve_metrics_path(Manager *m) {
        struct stat st;

        if (strcmp(m->config.metrics_path, "auto") != 0)
                (void) snprintf(m->metrics_path, sizeof(m->metrics_path), "%s",
                                m->config.metrics_path);
        else if (stat(NODE_EXPORTER_TEXTFILE_DIR, &st) == 0 && S_ISDIR(st.st_mode))
                (void) snprintf(m->metrics_path, sizeof(m->metrics_path), "%s/loginguard.prom",
                                NODE_EXPORTER_TEXTFILE_DIR);
        else
                m->metrics_path[0] = '\0';
        if (*m->metrics_path)
                log_info("Metrics for Prometheus in %s.", m->metrics_path);
        else if (strcmp(m->config.metrics_path, "auto") == 0)
                log_info("No metrics file: %s does not exist (metrics_path = auto).",
                         NODE_EXPORTER_TEXTFILE_DIR);
}

static void reconfigure(Manager *m, const Config *old) {
        resolve_metrics_path(m);
        devlog_probe_done(&m->devlog);
        devlog_probe_init(&m->devlog, m->config.devlog_path);
        m->sessions = (DirCount){ .path = m->config.sessions_dir };
        m->scopes = (DirCount){ .path = m->config.units_dir, .prefix = "session-", .infix = ".scope" };
        m->bus.timeout_usec = m->config.probe_timeout_usec;
        m->userdb.timeout_usec = m->config.probe_timeout_usec;
        if (old->guardd_watchdog != m->config.guardd_watchdog ||
            strcmp(old->state_dir, m->config.state_dir) != 0) {
                watcher_done(&m->watcher);
                watcher_init(&m->watcher);
                (void) watcher_start(&m->watcher, m->event, &m->config);
        } else
                watcher_configure(&m->watcher, &m->config);
        if (strcmp(bus_address_of(old), bus_address_of(&m->config)) != 0) {
                bus_probe_done(&m->bus);
                bus_probe_init(&m->bus, m->event, bus_address_of(&m->config),
                               m->config.probe_timeout_usec);
                m->bus.on_timeout = request_early_verdict;
                m->bus.userdata = m;
        }
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        Config old = m->config;

        if (manager_load_config(m->config_path, &m->config) != 0) {
                log_error("Keeping the previous configuration.");
                return 0;
        }
        log_notice("Reloaded the configuration.");
        reconfigure(m, &old);
        return 0;
}

/* A guardd killed while writing leaves "<file>.tmp.<pid>" behind: remove
 * those whose writer is gone. */
static void sweep_temp_files(const char *path) {
        _cleanup_(closedirp) DIR *d = NULL;
        const char *base = strrchr(path, '/');
        char prefix[256], dir[CONFIG_PATH_MAX];

        if (!base)
                return;
        (void) snprintf(dir, sizeof(dir), "%.*s", (int) (base - path), path);
        (void) snprintf(prefix, sizeof(prefix), "%s.tmp.", base + 1);
        d = opendir(*dir ? dir : "/");
        if (!d)
                return;
        for (struct dirent *de; (de = readdir(d));) {
                uint64_t pid;

                if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
                    parse_u64(de->d_name + strlen(prefix), &pid) < 0 || pid == 0 || pid > INT32_MAX)
                        continue;
                if (kill((pid_t) pid, 0) < 0 && errno == ESRCH)
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        }
}

/* SIGTERM, SIGINT: stop now, or once the calls guardd watches have ended. */
static int on_stop(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        if (watcher_stop(&m->watcher, now_usec(CLOCK_MONOTONIC)))
                return sd_event_exit(m->event, 0);
        log_notice("Stopping once the %u wrapped call%s guardd watches have ended.",
                   watcher_armed(&m->watcher), watcher_armed(&m->watcher) == 1 ? "" : "s");
        return 0;
}

static int setup_sources(Manager *m) {
        sigset_t mask;
        int r;

        (void) sigemptyset(&mask);
        (void) sigaddset(&mask, SIGHUP);
        (void) sigaddset(&mask, SIGTERM);
        (void) sigaddset(&mask, SIGINT);
        (void) sigaddset(&mask, SIGCHLD);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_add_signal(m->event, NULL, SIGTERM, on_stop, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, on_stop, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m);
        if (r >= 0 && m->host.mountinfo_fd >= 0)
                r = sd_event_add_io(m->event, &m->mount_source, m->host.mountinfo_fd, EPOLLPRI,
                                    on_mounts, m);
        return r;
}

/**
 * manager_start() - everything the daemon does before its first round:
 * sweep stale temporary files, resume a pending replay, arm the signals,
 * the mount watch and the round timer.
 * @m: manager from manager_new()
 *
 * Return: 0 or -errno (logged).
 */
int manager_start(Manager *m) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        int r;

        assert(m && m->event);
        sweep_temp_files(m->config.status_path);
        resolve_metrics_path(m);
        if (*m->metrics_path)
                sweep_temp_files(m->metrics_path);
        (void) remedy_start(&m->remedy, m->event, &m->config);
        (void) watcher_start(&m->watcher, m->event, &m->config);
        r = setup_sources(m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the event loop: %m");
        /* First calls now, first judgement and status one probe deadline later. */
        bus_probe_start_round(&m->bus, now);
        varlink_ping_start(&m->userdb, now);
        r = sd_event_add_time(m->event, &m->round_timer, CLOCK_MONOTONIC,
                              now + MIN(m->config.interval_usec,
                                        m->config.probe_timeout_usec + FIRST_ROUND_SLACK_USEC),
                              USEC_PER_MSEC, on_round, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->round_timer, SD_EVENT_ON);
        if (r < 0)
                return log_error_errno(r, "Failed to arm the round timer: %m");
        log_info("Watching %s every %llu ms; status in %s.", m->bus.address,
                 (unsigned long long) (m->config.interval_usec / USEC_PER_MSEC), m->config.status_path);
        return 0;
}

/**
 * manager_run() - the daemon: a round every interval until SIGTERM.
 * @m: manager after manager_start()
 *
 * Return: 0 on a clean exit, -errno when the loop failed.
 */
int manager_run(Manager *m) {
        int r;

        assert(m);
        r = sd_event_loop(m->event);
        (void) notifier_send(&m->notifier, "STOPPING=1");
        return r < 0 ? log_error_errno(r, "Event loop failed: %m") : 0;
}

/**
 * manager_once() - one round without the daemon: send the calls, wait for
 * their answers or their deadline, judge, write the status. No remedy
 * acts, no spool is touched, nothing else on disk changes.
 * @m: manager from manager_new()
 * @ret: the status written
 *
 * Return: 0 or -errno.
 */
int manager_once(Manager *m, Status **ret) {
        uint64_t start = now_usec(CLOCK_MONOTONIC), deadline;

        assert(m);
        assert(ret);
        /* Ping, PID and statistics go out when GetNameOwner answers, each
         * with its own timeout: wait for two timeouts at most. */
        deadline = start + 2 * m->config.probe_timeout_usec + ONCE_STEP_USEC;
        host_stats_sample(&m->host, start, 0, false); /* baselines for the rates */
        for (int i = 0; i < _PROC_MAX; i++)
                proc_watch_sample(&m->procs[i], start);
        bus_probe_start_round(&m->bus, start);
        varlink_ping_start(&m->userdb, start);
        for (;;) {
                uint64_t now = now_usec(CLOCK_MONOTONIC);

                if (now >= deadline || (bus_probe_idle(&m->bus) && varlink_ping_idle(&m->userdb, now) &&
                                        now > start + ONCE_MIN_WAIT_USEC))
                        break;
                (void) sd_event_run(m->event, MIN(deadline - now, ONCE_STEP_USEC));
        }
        return round_run(m, false, ret);
}
