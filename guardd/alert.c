/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The alert command runs in its own process (posix_spawn), is reaped by the
 * event loop and killed at its deadline: a hanging alert script never
 * holds a round.
 */
#include "alert.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "macro.h"

extern char **environ;

void alerter_init(Alerter *a, sd_event *event) {
        assert(a);

        *a = (Alerter){ .event = event };
        (void) snprintf(a->alerted, sizeof(a->alerted), "ok");
}

void alerter_done(Alerter *a) {
        assert(a);

        a->child = sd_event_source_disable_unref(a->child);
        a->timer = sd_event_source_disable_unref(a->timer);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Alerter *a = userdata;

        if (a->pid > 0) {
                log_warning("alert_command still running after %llu s, killing it.",
                            (unsigned long long) (ALERT_DEADLINE_USEC / USEC_PER_SEC));
                (void) kill(a->pid, SIGKILL);
        }
        return 0;
}

static int on_exit_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Alerter *a = userdata;

        if (si->si_code != CLD_EXITED || si->si_status != 0)
                log_warning("alert_command failed (status %d).", si->si_status);
        a->pid = 0;
        alerter_done(a);
        return 0;
}

static int spawn(Alerter *a, const char *command, const char *overall, const char *summary) {
        static char sh[] = "/bin/sh", dash_c[] = "-c";
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *cmd = NULL;
        _cleanup_free_ char **env = NULL;
        size_t n = 0;
        pid_t pid;
        int r;

        while (environ[n])
                n++;
        env = calloc(n + 3, sizeof(char *));
        if (!env)
                return -ENOMEM;
        cmd = strdup(command);
        if (!cmd)
                return -ENOMEM; /* NOLINT(clang-analyzer-unix.Malloc): _cleanup_ */
        if (asprintf(&e1, "LOGINGUARD_OVERALL=%s", overall) < 0) {
                e1 = NULL; /* NOLINT(clang-analyzer-unix.Malloc): _cleanup_ */
                return -ENOMEM;
        }
        if (asprintf(&e2, "LOGINGUARD_SUMMARY=%s", summary) < 0) {
                e2 = NULL;
                return -ENOMEM;
        }
        memcpy(env, environ, n * sizeof(char *));
        env[n] = e1;
        env[n + 1] = e2;
        r = -posix_spawn(&pid, sh, NULL, NULL, (char *[]){ sh, dash_c, cmd, NULL }, env);
        if (r < 0)
                return r;
        a->pid = pid;
        (void) sd_event_add_child(a->event, &a->child, pid, WEXITED, on_exit_child, a);
        (void) sd_event_add_time_relative(a->event, &a->timer, CLOCK_MONOTONIC, ALERT_DEADLINE_USEC,
                                          0, on_timeout, a);
        return 0;
}

/**
 * alerter_consider() - run alert_command if OVERALL changed since the last
 * alert and the cooldown allows.
 * @a: alerter
 * @c: config (alert_command, alert_cooldown_s)
 * @s: this round's status (its SUMMARY is already sanitized)
 * @now: CLOCK_MONOTONIC usec
 */
void alerter_consider(Alerter *a, const Config *c, const Status *s, uint64_t now) {
        const char *overall = status_get(s, "OVERALL"), *summary = status_get(s, "SUMMARY");
        int r;

        assert(a);
        assert(c);
        assert(s);
        if (!*c->alert_command || !overall || a->pid > 0 || strcmp(overall, a->alerted) == 0)
                return;
        if (a->last_usec > 0 && now < a->last_usec + c->alert_cooldown_usec)
                return;
        r = spawn(a, c->alert_command, overall, summary ? summary : "");
        if (r < 0) {
                log_error_errno(r, "Failed to run alert_command: %m");
                return;
        }
        a->last_usec = now;
        (void) snprintf(a->alerted, sizeof(a->alerted), "%s", overall);
}
