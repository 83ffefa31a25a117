/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon loop on sd-event. Signals: SIGHUP reloads the config, SIGTERM
 * and SIGINT end the loop. sd_notify: READY after the first status,
 * WATCHDOG every round, STATUS with the summary.
 */
#include "manager.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "breaker-file.h"
#include "io-util.h"
#include "log.h"
#include "macro.h"
#include "output.h"
#include "parse-util.h"

#define PROC_RESCAN_USEC (30 * USEC_PER_SEC)
#define ALERT_DEADLINE_USEC (10 * USEC_PER_SEC)

extern char **environ;

static const char *const logind_comms[] = { "systemd-logind", "elogind", NULL };
static const char *const bus_comms[] = { "dbus-daemon", "dbus-broker", NULL };
static const char *const ck_comms[] = { "console-kit-dae", NULL };
static const char *const init_comms[] = { NULL };

static void request_early_verdict(void *userdata);
static void remedy_fd_closing(int fd, void *userdata);

static const char *default_bus_address(void) {
        const char *e = secure_getenv("DBUS_SYSTEM_BUS_ADDRESS");

        return e && *e ? e : "unix:path=/run/dbus/system_bus_socket";
}

static void manager_init_probes(Manager *m) {
        m->procs[PROC_LOGIN1] = (ProcWatch){ .key = "LOGIN1", .comms = logind_comms };
        m->procs[PROC_BUS] = (ProcWatch){ .key = "BUS", .comms = bus_comms };
        m->procs[PROC_CONSOLEKIT] = (ProcWatch){ .key = "CONSOLEKIT", .comms = ck_comms };
        m->procs[PROC_PID1] =
                (ProcWatch){ .key = "PID1", .comms = init_comms, .pid = 1, .last_pid = 1 };
        m->sessions = (DirCount){ .path = m->config.sessions_dir };
        m->scopes =
                (DirCount){ .path = m->config.units_dir, .prefix = "session-", .infix = ".scope" };
        devlog_probe_init(&m->devlog, m->config.devlog_path);
        bus_probe_init(&m->bus, m->event,
                       *m->config.bus_address ? m->config.bus_address : default_bus_address(),
                       m->config.probe_timeout_usec);
        m->bus.on_timeout = request_early_verdict;
        m->bus.userdata = m;
}

/**
 * manager_load_config() - read the config (explicit path or default lookup).
 * @m: manager; its config is replaced only when the file is good
 *
 * Return: 0, or a negative/positive error already logged with file:line.
 */
int manager_load_config(Manager *m) {
        const char *path = m->config_path;
        ConfigError e = {};
        Config c;
        int r;

        config_init(&c);
        if (path)
                r = config_load_file(&c, path, geteuid(), &e);
        else
                r = config_load_default(&c, geteuid(), &path, &e);
        if (r > 0)
                return log_error("%s: %s, refusing it.", path, trust_strerror(r)), -EPERM;
        if (r < 0 && e.line > 0)
                return log_error("%s:%u: %s '%s'.", path, e.line, config_strerror(r), e.key), r;
        if (r < 0)
                return log_error_errno(r, "Failed to read '%s': %m", path);
        m->config = c;
        log_set_debug(c.debug);
        return 0;
}

/* A guardd killed while writing leaves "<status>.tmp.<pid>" behind:
 * remove those whose writer is gone. */
static void sweep_temp_files(const char *path) {
        const char *base = strrchr(path, '/');
        char prefix[256], dir[CONFIG_PATH_MAX];
        DIR *d;

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
        closedir(d);
}

int manager_new(const char *config_path, Manager **ret) {
        Manager *m;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->config_path = config_path;
        m->host.mountinfo_fd = -EBADF;
        r = manager_load_config(m);
        if (r >= 0)
                r = sd_event_new(&m->event);
        if (r < 0) {
                manager_free(m);
                return r;
        }
        manager_init_probes(m);
        sweep_temp_files(m->config.status_path);
        remedy_init(&m->remedy);
        m->remedy.fd_closing = remedy_fd_closing;
        m->remedy.userdata = m;
        if (remedy_resume_spool(&m->remedy, &m->config) < 0)
                log_warning("Cannot resume the replay of a spool in %s.", m->config.spool_dir);
        if (*m->config.metrics_path)
                sweep_temp_files(m->config.metrics_path);
        (void) host_stats_init(&m->host);
        (void) snprintf(m->overall, sizeof(m->overall), "ok");
        *ret = m;
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        bus_probe_done(&m->bus);
        devlog_probe_done(&m->devlog);
        m->drain_source = sd_event_source_disable_unref(m->drain_source);
        m->replay_source = sd_event_source_disable_unref(m->replay_source);
        remedy_done(&m->remedy);
        host_stats_done(&m->host);
        sd_event_source_disable_unref(m->round_timer);
        sd_event_source_disable_unref(m->mount_source);
        sd_event_source_disable_unref(m->alert_child);
        sd_event_source_disable_unref(m->alert_timer);
        sd_event_source_disable_unref(m->early_source);
        sd_event_source_disable_unref(m->drain_source);
        sd_event_source_disable_unref(m->replay_source);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

static void update_pids(Manager *m, uint64_t now) {
        const BusProbe *b = &m->bus;
        static const struct {
                int proc;
                int service;
        } map[] = { { PROC_LOGIN1, BUS_SERVICE_LOGIN1 },
                    { PROC_CONSOLEKIT, BUS_SERVICE_CONSOLEKIT } };

        for (size_t i = 0; i < ELEMENTSOF(map); i++) {
                const ServiceProbe *s = &b->services[map[i].service];
                if (s->pid.answered && s->pid.error == 0)
                        proc_watch_set_pid(&m->procs[map[i].proc], (pid_t) s->owner_pid, now);
        }
        if (b->daemon_pid.answered && b->daemon_pid.error == 0)
                proc_watch_set_pid(&m->procs[PROC_BUS], (pid_t) b->bus_pid, now);
        /* Without the bus, find them by name now and then (a /proc walk). */
        if (now < m->last_proc_scan_usec + PROC_RESCAN_USEC && m->last_proc_scan_usec > 0)
                return;
        m->last_proc_scan_usec = now;
        for (int i = 0; i < PROC_PID1; i++)
                if (m->procs[i].pid <= 0)
                        proc_watch_set_pid(&m->procs[i], proc_find_by_comm(m->procs[i].comms), now);
}

static uint64_t sum_fallbacks(const char *state_dir) {
        uint64_t sum = 0;
        DIR *d = opendir(state_dir);

        if (!d)
                return 0;
        for (struct dirent *de; (de = readdir(d));) {
                BreakerRecord r;

                if (strncmp(de->d_name, BREAKER_FILE_PREFIX, strlen(BREAKER_FILE_PREFIX)) != 0)
                        continue;
                if (breaker_file_read(dirfd(d), de->d_name, geteuid(), &r) == 0)
                        sum += r.fallbacks;
        }
        closedir(d);
        return sum;
}

#define READER_RETRY_USEC (5 * USEC_PER_SEC)

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
        else if (r->pid > 0)
                log_info("/dev/log reader: %s (pid %d, unit %s).", r->comm, (int) r->pid,
                         *r->unit ? r->unit : "-");
}

static int on_drain(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;

        remedy_drain_event(&m->remedy);
        return 0;
}

/* While draining, read the reader's socket as messages arrive. */
static void watch_drain(Manager *m) {
        int fd = remedy_drain_fd(&m->remedy);

        if (fd < 0 || (m->drain_source && sd_event_source_get_io_fd(m->drain_source) != fd))
                m->drain_source = sd_event_source_disable_unref(m->drain_source);
        if (fd >= 0 && !m->drain_source &&
            sd_event_add_io(m->event, &m->drain_source, fd, EPOLLIN, on_drain, m) < 0)
                log_warning("Cannot watch the drained /dev/log socket; draining once a round.");
}

static void watch_replay(Manager *m);

static void drop_watch(sd_event_source **s, int fd) {
        if (*s && sd_event_source_get_io_fd(*s) == fd)
                *s = sd_event_source_disable_unref(*s);
}

static void remedy_fd_closing(int fd, void *userdata) {
        Manager *m = userdata;

        drop_watch(&m->drain_source, fd);
        drop_watch(&m->replay_source, fd);
}

static int on_replay(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;

        remedy_replay_event(&m->remedy);
        watch_replay(m); /* budget spent or done: stop polling a writable socket */
        return 0;
}

/* While replaying with budget left, send whenever the queue has room. */
static void watch_replay(Manager *m) {
        int fd = remedy_replay_fd(&m->remedy);

        if (fd < 0 || (m->replay_source && sd_event_source_get_io_fd(m->replay_source) != fd))
                m->replay_source = sd_event_source_disable_unref(m->replay_source);
        if (fd >= 0 && !m->replay_source &&
            sd_event_add_io(m->event, &m->replay_source, fd, EPOLLOUT, on_replay, m) < 0)
                log_warning("Cannot watch the /dev/log socket; replaying once a round.");
}

static void sample_devlog(Manager *m, uint64_t now) {
        (void) devlog_probe_run(&m->devlog, now, m->config.devlog_stuck_usec);
        track_reader(m, now);
        /* A stopped reader is stuck at once, full queue or not. */
        if (m->reader.state == 'T' && m->devlog.state != DEVLOG_ABSENT) {
                if (m->devlog.full_since_usec == 0)
                        m->devlog.full_since_usec = now;
                m->devlog.state = DEVLOG_STUCK;
        }
        m->census = (Census){};
        if (m->devlog.state != DEVLOG_OK && m->devlog.state != DEVLOG_ABSENT && m->reader.pid > 0)
                (void) devlog_census(&m->reader, &m->census);
        remedy_round(&m->remedy, &m->config, &m->devlog, &m->reader, now);
        watch_drain(m);
        watch_replay(m);
}

static void sample(Manager *m, uint64_t now) {
        uint64_t f;

        update_pids(m, now);
        for (int i = 0; i < _PROC_MAX; i++)
                proc_watch_sample(&m->procs[i], now);
        (void) dir_count_update(&m->sessions);
        (void) dir_count_update(&m->scopes);
        m->sessions_fs_known = fs_used_percent(m->config.sessions_dir, &m->sessions_fs_used) >= 0;
        host_stats_sample(&m->host, now);
        sample_devlog(m, now);
        f = sum_fallbacks(m->config.state_dir);
        if (!m->fallbacks_base_set || f < m->fallbacks_base) {
                m->fallbacks_base = f;
                m->fallbacks_base_set = true;
        }
        m->fallbacks = f - m->fallbacks_base;
}

static int on_alert_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        if (m->alert_pid > 0) {
                log_warning("alert_command still running after %llu s, killing it.",
                            (unsigned long long) (ALERT_DEADLINE_USEC / USEC_PER_SEC));
                (void) kill(m->alert_pid, SIGKILL);
        }
        return 0;
}

static int on_alert_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Manager *m = userdata;

        if (si->si_code != CLD_EXITED || si->si_status != 0)
                log_warning("alert_command failed (status %d).", si->si_status);
        m->alert_pid = 0;
        m->alert_child = sd_event_source_disable_unref(m->alert_child);
        m->alert_timer = sd_event_source_disable_unref(m->alert_timer);
        return 0;
}

static int spawn_alert(Manager *m, const char *overall, const char *summary) {
        static char sh[] = "/bin/sh", dash_c[] = "-c";
        char *argv[] = { sh, dash_c, m->config.alert_command, NULL };
        _cleanup_free_ char *e1 = NULL, *e2 = NULL;
        char **env;
        size_t n = 0;
        pid_t pid;
        int r;

        while (environ[n])
                n++;
        env = calloc(n + 3, sizeof(char *));
        if (!env || asprintf(&e1, "LOGINGUARD_OVERALL=%s", overall) < 0 ||
            asprintf(&e2, "LOGINGUARD_SUMMARY=%s", summary) < 0) {
                free(env);
                return -ENOMEM;
        }
        memcpy(env, environ, n * sizeof(char *));
        env[n] = e1;
        env[n + 1] = e2;
        r = -posix_spawn(&pid, argv[0], NULL, NULL, argv, env);
        free(env);
        if (r < 0)
                return r;
        m->alert_pid = pid;
        (void) sd_event_add_child(m->event, &m->alert_child, pid, WEXITED, on_alert_exit, m);
        (void) sd_event_add_time_relative(m->event, &m->alert_timer, CLOCK_MONOTONIC,
                                          ALERT_DEADLINE_USEC, 0, on_alert_timeout, m);
        return 0;
}

/* Run alert_command when OVERALL changed, at most once per cooldown; a
 * change that falls into the cooldown is sent when it ends. */
static void maybe_alert(Manager *m, const Status *s, uint64_t now) {
        const char *overall = status_get(s, "OVERALL"), *summary = status_get(s, "SUMMARY");
        int r;

        if (!*m->config.alert_command || !overall || m->alert_pid > 0)
                return;
        if (!*m->alerted_overall)
                (void) snprintf(m->alerted_overall, sizeof(m->alerted_overall), "ok");
        if (strcmp(overall, m->alerted_overall) == 0)
                return;
        if (m->last_alert_usec > 0 && now < m->last_alert_usec + m->config.alert_cooldown_usec)
                return;
        r = spawn_alert(m, overall, summary ? summary : "");
        if (r < 0) {
                log_error_errno(r, "Failed to run alert_command: %m");
                return;
        }
        m->last_alert_usec = now;
        (void) snprintf(m->alerted_overall, sizeof(m->alerted_overall), "%s", overall);
}

static void publish(Manager *m, const Status *s) {
        const char *summary = status_get(s, "SUMMARY");
        int r;

        r = status_write(s, m->config.status_path);
        if (r < 0)
                log_error_errno(r, "Failed to write '%s': %m", m->config.status_path);
        if (*m->config.metrics_path) {
                r = output_write_metrics(s, m->config.metrics_path);
                if (r < 0)
                        log_error_errno(r, "Failed to write '%s': %m", m->config.metrics_path);
        }
        (void) sd_notifyf(false, "%sWATCHDOG=1\nSTATUS=%s", m->ready_sent ? "" : "READY=1\n",
                          summary ? summary : "");
        m->ready_sent = true;
}

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

/* One round; returns the status it wrote. */
static int round_run(Manager *m, Status **ret) {
        _cleanup_(status_freep) Status *s = NULL;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        int r;

        bus_probe_finish_round(&m->bus, now, m->config.login1_slow_usec);
        sample(m, now);
        r = verdict_compose(m, now, &s);
        if (r < 0)
                return log_error_errno(r, "Failed to compose the status: %m");
        publish(m, s);
        log_transition(m, s);
        maybe_alert(m, s, now);
        m->rounds++;
        bus_probe_start_round(&m->bus, now);
        m->round_cost_usec = now_usec(CLOCK_MONOTONIC) - now;
        if (ret)
                *ret = TAKE_PTR(s);
        return 0;
}

/* A call ran out of time: judge and publish now, send nothing new. */
static int on_early_verdict(sd_event_source *source, void *userdata) {
        Manager *m = userdata;
        _cleanup_(status_freep) Status *s = NULL;
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        m->early_source = sd_event_source_disable_unref(m->early_source);
        bus_probe_finish_round(&m->bus, now, m->config.login1_slow_usec);
        if (verdict_compose(m, now, &s) < 0)
                return 0;
        publish(m, s);
        log_transition(m, s);
        maybe_alert(m, s, now);
        return 0;
}

static void request_early_verdict(void *userdata) {
        Manager *m = userdata;

        if (!m->early_source && m->ready_sent)
                (void) sd_event_add_defer(m->event, &m->early_source, on_early_verdict, m);
}

static int on_round(sd_event_source *source, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        (void) round_run(m, NULL);
        (void) sd_event_source_set_time(source, usec + m->config.interval_usec);
        (void) sd_event_source_set_enabled(source, SD_EVENT_ON);
        return 0;
}

static int on_mounts(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;

        return host_mounts_event(&m->host);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        char address[sizeof(m->config.bus_address)];
        int r;

        memcpy(address, m->config.bus_address, sizeof(address));
        r = manager_load_config(m);
        if (r != 0) {
                log_error("Keeping the previous configuration.");
                return 0;
        }
        log_notice("Reloaded the configuration.");
        devlog_probe_done(&m->devlog);
        devlog_probe_init(&m->devlog, m->config.devlog_path);
        m->sessions.path = m->config.sessions_dir;
        m->sessions.valid = false;
        m->scopes.path = m->config.units_dir;
        m->scopes.valid = false;
        m->bus.timeout_usec = m->config.probe_timeout_usec;
        if (strcmp(address, m->config.bus_address) != 0) {
                bus_probe_done(&m->bus);
                bus_probe_init(&m->bus, m->event,
                               *m->config.bus_address ? m->config.bus_address
                                                      : default_bus_address(),
                               m->config.probe_timeout_usec);
                m->bus.on_timeout = request_early_verdict;
                m->bus.userdata = m;
        }
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
        r = sd_event_add_signal(m->event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m);
        if (r >= 0 && m->host.mountinfo_fd >= 0)
                r = sd_event_add_io(m->event, &m->mount_source, m->host.mountinfo_fd, EPOLLPRI,
                                    on_mounts, m);
        return r;
}

/**
 * manager_run() - the daemon: a round every interval until SIGTERM.
 * @m: manager
 *
 * Return: 0 on a clean exit, -errno on setup failure.
 */
int manager_run(Manager *m) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        int r;

        r = setup_sources(m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the event loop: %m");
        /* First calls now, first judgement and status one interval later. */
        bus_probe_start_round(&m->bus, now);
        r = sd_event_add_time(
                m->event, &m->round_timer, CLOCK_MONOTONIC,
                now + MIN(m->config.interval_usec, m->config.probe_timeout_usec + 10000),
                USEC_PER_MSEC, on_round, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->round_timer, SD_EVENT_ON);
        if (r < 0)
                return log_error_errno(r, "Failed to arm the round timer: %m");
        log_info("Watching %s every %llu ms; status in %s.", m->bus.address,
                 (unsigned long long) (m->config.interval_usec / USEC_PER_MSEC),
                 m->config.status_path);
        r = sd_event_loop(m->event);
        (void) sd_notify(false, "STOPPING=1");
        return r < 0 ? log_error_errno(r, "Event loop failed: %m") : 0;
}

/**
 * manager_once() - one round: send the calls, wait for answers or their
 * deadline, judge, write the status.
 * @m: manager
 * @ret: the status written
 *
 * Return: 0 or -errno.
 */
int manager_once(Manager *m, Status **ret) {
        uint64_t start = now_usec(CLOCK_MONOTONIC), deadline;

        /* Ping, PID and statistics go out when GetNameOwner answers, each
         * with its own timeout: wait for two timeouts at most. */
        deadline = start + 2 * m->config.probe_timeout_usec + 50 * USEC_PER_MSEC;
        host_stats_sample(&m->host, start); /* baselines for the rates */
        for (int i = 0; i < _PROC_MAX; i++)
                proc_watch_sample(&m->procs[i], start);
        bus_probe_start_round(&m->bus, start);
        for (;;) {
                uint64_t now = now_usec(CLOCK_MONOTONIC);

                if (now >= deadline ||
                    (bus_probe_idle(&m->bus) && now > start + 100 * USEC_PER_MSEC))
                        break;
                (void) sd_event_run(m->event, MIN(deadline - now, 50 * USEC_PER_MSEC));
        }
        return round_run(m, ret);
}
