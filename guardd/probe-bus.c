/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Round of bus probes: GetNameOwner for each tracker and for PID 1
 * (answered by the bus daemon itself, so it tells bus health), then, for a
 * name with an owner, Peer.Ping to it (its round trip), its PID, and the
 * bus's statistics for its connection (bytes queued for it, incident 3).
 * Pings never auto-start a service: a probe must not start logind or
 * ConsoleKit on a host that does not run them. PID 1's JobNew signals are
 * counted, to tell a respawn loop (jobs) from mount churn (no jobs).
 */
#include "probe-bus.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "io-util.h"
#include "log.h"
#include "macro.h"
#include "own-time.h"

#define BACKOFF_MAX_USEC (5 * USEC_PER_SEC)
/* A bus stuck this many rounds is dropped and re-made, so that requests
 * queued towards a frozen daemon cannot pile up without bound. */
#define STUCK_ROUNDS_RECONNECT 10

static void call_reset(Call *c) {
        c->slot = sd_bus_slot_unref(c->slot);
        *c = (Call){};
}

static bool call_pending(const Call *c) {
        return c->slot && !c->answered;
}

static void service_reset_calls(ServiceProbe *s) {
        call_reset(&s->owner);
        call_reset(&s->ping);
        call_reset(&s->pid);
        call_reset(&s->stats);
}

void bus_probe_init(BusProbe *b, sd_event *event, const char *address, uint64_t timeout_usec) {
        assert(b);

        *b = (BusProbe) {
                .event = event,
                .state = BUS_DOWN,
                .timeout_usec = timeout_usec,
                .services = {
                        [BUS_SERVICE_LOGIN1] = { .bus_name = "org.freedesktop.login1", .key = "LOGIN1",
                                                 .state = SVC_UNKNOWN },
                        [BUS_SERVICE_CONSOLEKIT] = { .bus_name = "org.freedesktop.ConsoleKit",
                                                     .key = "CONSOLEKIT", .state = SVC_UNKNOWN },
                        [BUS_SERVICE_SYSTEMD1] = { .bus_name = "org.freedesktop.systemd1",
                                                   .key = "PID1", .state = SVC_UNKNOWN },
                },
        };
        for (size_t i = 0; i < ELEMENTSOF(b->services); i++)
                b->services[i].parent = b;
        (void) snprintf(b->address, sizeof(b->address), "%s", address);
}

static void bus_drop(BusProbe *b) {
        for (size_t i = 0; i < ELEMENTSOF(b->services); i++)
                service_reset_calls(&b->services[i]);
        call_reset(&b->daemon_pid);
        call_reset(&b->list_jobs);
        b->job_match = sd_bus_slot_unref(b->job_match);
        if (b->bus) {
                (void) sd_bus_detach_event(b->bus);
                b->bus = sd_bus_close_unref(b->bus);
        }
}

void bus_probe_done(BusProbe *b) {
        assert(b);

        bus_drop(b);
}

static int on_job_new(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusProbe *b = userdata;

        b->jobs++;
        return 0;
}

/* PID 1 sends its signals once somebody subscribed (logind always has);
 * the match makes the bus deliver us JobNew only. */
static void watch_jobs(BusProbe *b) {
        (void) sd_bus_match_signal_async(b->bus, &b->job_match, "org.freedesktop.systemd1",
                                         "/org/freedesktop/systemd1",
                                         "org.freedesktop.systemd1.Manager", "JobNew", on_job_new,
                                         NULL, b);
        (void) sd_bus_call_method_async(b->bus, NULL, "org.freedesktop.systemd1",
                                        "/org/freedesktop/systemd1",
                                        "org.freedesktop.systemd1.Manager", "Subscribe", NULL,
                                        NULL, NULL);
}

/* Asynchronous connect: sd_bus_start() only fails at once when nobody
 * listens; authentication and Hello run in the event loop. */
static int bus_connect(BusProbe *b) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, b->address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_set_description(bus, "guardd");
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, b->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                sd_bus_close_unref(bus);
                return r;
        }
        b->bus = bus;
        watch_jobs(b);
        return 0;
}

static int reply_error(sd_bus_message *m) {
        const sd_bus_error *e = sd_bus_message_get_error(m);

        if (!e)
                return 0;
        if (sd_bus_error_has_names(e, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_TIMEOUT,
                                   "org.freedesktop.DBus.Error.TimedOut"))
                return -ETIMEDOUT;
        if (sd_bus_error_has_names(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER, SD_BUS_ERROR_SERVICE_UNKNOWN))
                return -ENXIO;
        if (sd_bus_error_has_names(e, SD_BUS_ERROR_ACCESS_DENIED, SD_BUS_ERROR_UNKNOWN_METHOD,
                                   SD_BUS_ERROR_UNKNOWN_INTERFACE))
                return -EACCES;
        return -EIO;
}

static bool call_expired(const Call *c, uint64_t now, uint64_t lost_now, uint64_t timeout) {
        return call_pending(c) &&
               own_deadline_passed(c->started_usec, c->lost_at_start, lost_now, now, timeout);
}

/* sd-bus ran the call out of time. When guardd was too late itself to
 * have read an answer (own-time.h), that says nothing about the peer: the
 * call ends unjudged and the next round sends it again. */
static bool timed_out_while_late(BusProbe *b, Call *c) {
        if (call_expired(c, now_usec(CLOCK_MONOTONIC), own_lost_usec(), b->timeout_usec))
                return false;
        b->late_calls++;
        log_debug("A call ran out of time while guardd itself was late; sending it again.");
        c->slot = sd_bus_slot_unref(c->slot);
        return true;
}

/* Returns false when the answer is not to be judged (see above). */
static bool call_answered(BusProbe *b, Call *c, sd_bus_message *m) {
        int error = reply_error(m);

        if (error == -ETIMEDOUT && timed_out_while_late(b, c))
                return false;
        c->answered = true;
        c->error = error;
        if (c->error == -ETIMEDOUT && b->on_timeout)
                b->on_timeout(b->userdata);
        return true;
}

typedef struct CallSpec {
        const char *dest, *path, *iface, *member;
        sd_bus_message_handler_t cb;
        const char *arg; /* one string argument, or NULL */
        bool no_auto_start;
} CallSpec;

/* Methods of the bus daemon itself. */
#define DBUS_CALL(member_, cb_, arg_) \
        ((CallSpec){ .dest = "org.freedesktop.DBus", .path = "/org/freedesktop/DBus", \
                     .iface = "org.freedesktop.DBus", .member = (member_), .cb = (cb_), .arg = (arg_) })

static int start_call(BusProbe *b, Call *c, const CallSpec *spec, void *userdata) {
        sd_bus_message *m = NULL;
        int r;

        call_reset(c);
        r = sd_bus_message_new_method_call(b->bus, &m, spec->dest, spec->path, spec->iface,
                                           spec->member);
        if (r >= 0 && spec->arg)
                r = sd_bus_message_append(m, "s", spec->arg);
        if (r >= 0 && spec->no_auto_start)
                r = sd_bus_message_set_auto_start(m, 0);
        /* Before sd-bus takes its own time: its timeout never comes before
         * ours (own_deadline_passed()). */
        c->started_usec = now_usec(CLOCK_MONOTONIC);
        c->lost_at_start = own_lost_usec();
        if (r >= 0)
                r = sd_bus_call_async(b->bus, &c->slot, m, spec->cb, userdata, b->timeout_usec);
        sd_bus_message_unref(m);
        if (r < 0)
                return log_debug("Failed to send %s: %s", spec->member, strerror(-r)), r;
        return 0;
}

static int on_ping(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        ServiceProbe *s = userdata;

        if (!call_answered(s->parent, &s->ping, m))
                return 0;
        s->ping_usec = now_usec(CLOCK_MONOTONIC) - s->ping.started_usec;
        return 0;
}

static int on_pid(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        ServiceProbe *s = userdata;

        if (!call_answered(s->parent, &s->pid, m))
                return 0;
        if (s->pid.error == 0 && sd_bus_message_read(m, "u", &s->owner_pid) < 0)
                s->pid.error = -EBADMSG;
        return 0;
}

static int read_outgoing_bytes(sd_bus_message *m, uint64_t *ret) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r > 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key;
                uint32_t v;

                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0 && strcmp(key, "OutgoingBytes") == 0) {
                        r = sd_bus_message_read(m, "v", "u", &v);
                        if (r >= 0)
                                *ret = v;
                        return r < 0 ? r : 1;
                }
                if (r >= 0)
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        return r < 0 ? r : 0;
}

static int on_stats(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        ServiceProbe *s = userdata;
        uint64_t v = 0;

        if (!call_answered(s->parent, &s->stats, m))
                return 0;
        if (s->stats.error == -EACCES && !s->stats_refused) {
                s->stats_refused = true;
                log_notice("The bus refuses its statistics (org.freedesktop.DBus.Debug.Stats): "
                           "%s_QUEUED_BYTES stays empty.",
                           s->key);
        }
        s->queued_known = s->stats.error == 0 && read_outgoing_bytes(m, &v) > 0;
        s->queued_bytes = v;
        return 0;
}

static int on_owner(sd_bus_message *m, void *userdata, sd_bus_error *error);

static void start_owner_probes(BusProbe *b, ServiceProbe *s) {
        CallSpec pid = DBUS_CALL("GetConnectionUnixProcessID", on_pid, s->owner_name);
        CallSpec stats = DBUS_CALL("GetConnectionStats", on_stats, s->owner_name);

        stats.iface = "org.freedesktop.DBus.Debug.Stats";
        (void) start_call(b, &s->pid, &pid, s);
        if (!s->stats_refused)
                (void) start_call(b, &s->stats, &stats, s);
}

static int on_owner(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        ServiceProbe *s = userdata;
        const char *owner = NULL;

        if (!call_answered(s->parent, &s->owner, m))
                return 0;
        if (s->owner.error == 0 && sd_bus_message_read(m, "s", &owner) >= 0 && owner) {
                (void) snprintf(s->owner_name, sizeof(s->owner_name), "%s", owner);
                start_owner_probes(s->parent, s);
        }
        return 0;
}

static int on_daemon_pid(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusProbe *b = userdata;

        if (!call_answered(b, &b->daemon_pid, m))
                return 0;
        if (b->daemon_pid.error == 0 && sd_bus_message_read(m, "u", &b->bus_pid) < 0)
                b->daemon_pid.error = -EBADMSG;
        return 0;
}

/* A service's probe is still running and within its deadline: leave it. */
static bool service_busy(const BusProbe *b, const ServiceProbe *s, uint64_t now) {
        const Call *calls[] = { &s->owner, &s->ping, &s->pid, &s->stats };

        for (size_t i = 0; i < ELEMENTSOF(calls); i++)
                if (call_pending(calls[i]) &&
                    !call_expired(calls[i], now, b->lost_now, b->timeout_usec))
                        return true;
        return false;
}

static void ensure_connected(BusProbe *b, uint64_t now) {
        int r;

        if (b->bus && sd_bus_is_open(b->bus) > 0)
                return;
        if (b->bus) {
                log_warning("Lost the bus connection (%s), reconnecting.", b->address);
                bus_drop(b);
        }
        if (now < b->next_connect_usec)
                return;
        r = bus_connect(b);
        b->connect_refused = r < 0;
        b->ready_seen = false;
        if (r >= 0)
                return;
        b->backoff_usec = MIN(MAX(b->backoff_usec * 2, b->timeout_usec), BACKOFF_MAX_USEC);
        b->next_connect_usec = now + b->backoff_usec;
        log_debug("Cannot connect to %s: %s; next try in %llu ms.", b->address, strerror(-r),
                  (unsigned long long) (b->backoff_usec / USEC_PER_MSEC));
}

/**
 * bus_probe_start_round() - (re)connect if needed and send this round's calls.
 * @b: probe
 * @now: CLOCK_MONOTONIC usec
 */
/**
 * user_job_unit() - is @unit one that a single user's logins wait on?
 * @unit: unit name
 *
 * Return: true for user@UID.service, user-runtime-dir@UID.service and
 * session-ID.scope.
 */
bool user_job_unit(const char *unit) {
        size_t n = strlen(unit);

        return (strncmp(unit, "user@", 5) == 0 && n > 13 &&
                strcmp(unit + n - 8, ".service") == 0) ||
               (strncmp(unit, "user-runtime-dir@", 17) == 0 && n > 25 &&
                strcmp(unit + n - 8, ".service") == 0) ||
               (strncmp(unit, "session-", 8) == 0 && n > 14 && strcmp(unit + n - 6, ".scope") == 0);
}

static uint64_t first_seen(const BusProbe *b, uint32_t id, uint64_t now) {
        for (unsigned i = 0; i < b->n_user_jobs; i++)
                if (b->user_jobs[i].id == id)
                        return b->user_jobs[i].first_seen_usec;
        return now;
}

/* ListJobs: a(usssoo) = id, unit, type, state, job path, unit path. The
 * start jobs of the users' units are kept, with when each was first seen. */
static int read_user_jobs(BusProbe *b, sd_bus_message *m, uint64_t now) {
        UserJob jobs[USER_JOBS_MAX];
        unsigned n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(usssoo)");
        while (r > 0) {
                const char *unit, *type, *state, *jp, *up;
                uint32_t id;

                r = sd_bus_message_read(m, "(usssoo)", &id, &unit, &type, &state, &jp, &up);
                if (r <= 0)
                        break;
                if (n == USER_JOBS_MAX || strcmp(type, "start") != 0 || !user_job_unit(unit))
                        continue;
                jobs[n] = (UserJob){ .id = id, .first_seen_usec = first_seen(b, id, now) };
                (void) snprintf(jobs[n].unit, sizeof(jobs[n].unit), "%s", unit);
                n++;
        }
        if (r < 0)
                return r;
        if (n > 0)
                memcpy(b->user_jobs, jobs, n * sizeof(jobs[0]));
        b->n_user_jobs = n;
        return 0;
}

static int on_list_jobs(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusProbe *b = userdata;

        if (!call_answered(b, &b->list_jobs, m))
                return 0;
        b->user_jobs_known =
                b->list_jobs.error == 0 && read_user_jobs(b, m, now_usec(CLOCK_MONOTONIC)) >= 0;
        return 0;
}

void bus_probe_start_round(BusProbe *b, uint64_t now) {
        assert(b);
        b->lost_now = own_lost_usec();

        ensure_connected(b, now);
        if (!b->bus)
                return;
        if (!call_pending(&b->daemon_pid) ||
            call_expired(&b->daemon_pid, now, b->lost_now, b->timeout_usec))
                (void) start_call(b, &b->daemon_pid,
                                  &DBUS_CALL("GetConnectionUnixProcessID", on_daemon_pid,
                                             "org.freedesktop.DBus"),
                                  b);
        /* PID 1's jobs, within the same deadline: never auto-started. */
        if (!call_pending(&b->list_jobs) ||
            call_expired(&b->list_jobs, now, b->lost_now, b->timeout_usec))
                (void) start_call(b, &b->list_jobs,
                                  &(CallSpec){ .dest = "org.freedesktop.systemd1",
                                               .path = "/org/freedesktop/systemd1",
                                               .iface = "org.freedesktop.systemd1.Manager",
                                               .member = "ListJobs",
                                               .cb = on_list_jobs,
                                               .no_auto_start = true },
                                  b);
        for (size_t i = 0; i < ELEMENTSOF(b->services); i++) {
                ServiceProbe *s = &b->services[i];

                if (service_busy(b, s, now))
                        continue;
                service_reset_calls(s);
                (void) start_call(b, &s->owner, &DBUS_CALL("GetNameOwner", on_owner, s->bus_name),
                                  s);
                /* The ping goes to the well-known name at the same time, so its
                 * deadline runs from the start of the round. */
                (void) start_call(b, &s->ping,
                                  &(CallSpec){ .dest = s->bus_name, .path = "/",
                                               .iface = "org.freedesktop.DBus.Peer",
                                               .member = "Ping", .cb = on_ping,
                                               .no_auto_start = true },
                                  s);
        }
}

/**
 * bus_probe_idle() - whether every call of the round has answered or expired.
 * @b: probe
 *
 * Return: true when nothing is outstanding (guardd --once may stop waiting).
 */
bool bus_probe_idle(const BusProbe *b) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        assert(b);
        if (!b->bus)
                return true;
        if (call_pending(&b->daemon_pid) &&
            !call_expired(&b->daemon_pid, now, b->lost_now, b->timeout_usec))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(b->services); i++)
                if (service_busy(b, &b->services[i], now))
                        return false;
        return true;
}

static BusState bus_state_of(BusProbe *b, uint64_t now) {
        const ServiceProbe *l = &b->services[BUS_SERVICE_LOGIN1];

        if (b->bus && sd_bus_is_ready(b->bus) > 0)
                b->ready_seen = true;
        /* No open connection: down when nobody accepts it or a working
         * connection was closed on us (the daemon went away); stuck when
         * the daemon accepts but never completes the handshake (frozen:
         * its socket's backlog takes the connection, nothing answers). */
        if (!b->bus || sd_bus_is_open(b->bus) <= 0)
                return b->connect_refused || b->ready_seen ? BUS_DOWN : BUS_STUCK;
        /* Any answer from the daemon itself this round means it works. */
        if ((l->owner.answered && l->owner.error != -ETIMEDOUT) ||
            (b->daemon_pid.answered && b->daemon_pid.error != -ETIMEDOUT))
                return BUS_OK;
        if (call_expired(&l->owner, now, b->lost_now, b->timeout_usec) ||
            l->owner.error == -ETIMEDOUT ||
            call_expired(&b->daemon_pid, now, b->lost_now, b->timeout_usec))
                return BUS_STUCK;
        return b->state; /* still within the deadline: no new verdict */
}

/**
 * queue_growth_over() - how much a queue grew over the last @window of a
 * ring of samples (newest at @next - 1). Pure.
 * @usec: sample times
 * @bytes: sample sizes
 * @n: samples in the ring
 * @next: the ring's next slot
 * @now: CLOCK_MONOTONIC usec
 * @window: how far back
 *
 * Return: newest minus the oldest sample within the window (signed).
 */
int64_t queue_growth_over(const uint64_t *usec, const uint64_t *bytes, unsigned n, unsigned next,
                          uint64_t now, uint64_t window) {
        unsigned newest = (next + QUEUE_HISTORY - 1) % QUEUE_HISTORY, base = newest;

        if (n == 0)
                return 0;
        for (unsigned i = 0; i < n; i++) {
                unsigned k = (next + QUEUE_HISTORY - 1 - i) % QUEUE_HISTORY;

                base = k;
                if (usec[k] + window <= now)
                        break;
        }
        return (int64_t) bytes[newest] - (int64_t) bytes[base];
}

static void queue_trend_update(ServiceProbe *s, uint64_t now) {
        if (!s->queued_known)
                return;
        s->queue_hist_usec[s->queue_hist_next] = now;
        s->queue_hist_bytes[s->queue_hist_next] = s->queued_bytes;
        s->queue_hist_next = (s->queue_hist_next + 1) % QUEUE_HISTORY;
        s->queue_hist_n = MIN(s->queue_hist_n + 1, QUEUE_HISTORY);
        s->queue_growth = queue_growth_over(s->queue_hist_usec, s->queue_hist_bytes, s->queue_hist_n,
                                            s->queue_hist_next, now, QUEUE_WINDOW_USEC);
        if (s->prev_queued_usec > 0 && now > s->prev_queued_usec)
                s->queue_trend_per_s =
                        ((int64_t) s->queued_bytes - (int64_t) s->prev_queued_bytes) *
                        (int64_t) USEC_PER_SEC / (int64_t) (now - s->prev_queued_usec);
        s->prev_queued_bytes = s->queued_bytes;
        s->prev_queued_usec = now;
}

/**
 * service_judge() - the state machine of one tracker, from this round's
 * answers. A pure function of its inputs (tested in test-bus-judge.c).
 * @bus: the bus's state this round
 * @s: the tracker's calls
 * @now: CLOCK_MONOTONIC usec
 * @lost_now: own_lost_usec() now
 * @timeout_usec: probe deadline
 * @slow_usec: a ping at least this long is slow
 *
 * Return: the new state; s->state when this round said nothing new.
 */
SvcState service_judge(BusState bus, const ServiceProbe *s, uint64_t now, uint64_t lost_now,
                       uint64_t timeout_usec, uint64_t slow_usec) {
        if (bus != BUS_OK)
                return SVC_UNKNOWN;
        if (s->owner.answered && s->owner.error == -ENXIO)
                return SVC_ABSENT;
        if (s->ping.answered && s->ping.error == 0)
                return s->ping_usec >= slow_usec ? SVC_SLOW : SVC_OK;
        if ((s->ping.answered && s->ping.error == -ETIMEDOUT) ||
            call_expired(&s->ping, now, lost_now, timeout_usec))
                return SVC_STUCK;
        if (s->ping.answered && s->ping.error == -ENXIO)
                return SVC_ABSENT; /* the owner went away between the calls */
        return s->state;
}

static SvcState judge_service(const BusProbe *b, ServiceProbe *s, uint64_t now,
                              uint64_t slow_usec) {
        SvcState st = service_judge(b->state, s, now, b->lost_now, b->timeout_usec, slow_usec);

        /* Only a ping answered this round is a round trip: a state kept
         * from an earlier round keeps that round's figure too. */
        if ((st == SVC_OK || st == SVC_SLOW) && s->ping.answered && s->ping.error == 0) {
                s->ping_valid = true;
                s->last_ping_usec = s->ping_usec;
        } else if (st == SVC_STUCK)
                s->ping_valid = false;
        return st;
}

/**
 * bus_probe_finish_round() - turn this round's answers into states.
 * @b: probe
 * @now: CLOCK_MONOTONIC usec
 * @slow_usec: a ping at least this long is slow
 */
void bus_probe_finish_round(BusProbe *b, uint64_t now, uint64_t slow_usec) {
        BusState prev = b->state;

        assert(b);
        b->lost_now = own_lost_usec();
        b->state = bus_state_of(b, now);
        if (call_expired(&b->list_jobs, now, b->lost_now, b->timeout_usec))
                b->user_jobs_known = false; /* PID 1 did not list its jobs in time */
        if (b->state == BUS_OK) {
                b->backoff_usec = 0;
                b->stuck_rounds = 0;
        } else if (b->state == BUS_STUCK && ++b->stuck_rounds >= STUCK_ROUNDS_RECONNECT) {
                log_warning("Bus stuck for %u rounds, dropping the connection.", b->stuck_rounds);
                bus_drop(b);
                b->ready_seen = false; /* stuck, not gone: the reconnect tells */
                b->stuck_rounds = 0;
        }
        if (b->state != BUS_OK && (prev == BUS_OK || b->bad_since_usec == 0))
                b->bad_since_usec = now;
        if (b->state == BUS_OK)
                b->bad_since_usec = 0;
        for (size_t i = 0; i < ELEMENTSOF(b->services); i++) {
                ServiceProbe *s = &b->services[i];
                SvcState st = judge_service(b, s, now, slow_usec);

                if (st == SVC_STUCK && s->state != SVC_STUCK)
                        s->unanswered_since_usec =
                                s->ping.started_usec ? s->ping.started_usec : now;
                if (st != SVC_STUCK)
                        s->unanswered_since_usec = 0;
                s->state = st;
                queue_trend_update(s, now);
        }
}
