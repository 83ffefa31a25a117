/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * alert_command: run (through /bin/sh, with a deadline) when OVERALL
 * changes, at most once per alert_cooldown_s; a change that falls into the
 * cooldown is sent when it ends. It gets LOGINGUARD_OVERALL and
 * LOGINGUARD_SUMMARY in its environment. The alerter owns its event
 * sources (the child and the deadline).
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "status.h"

#define ALERT_DEADLINE_USEC (10 * UINT64_C(1000000))

typedef struct Alerter {
        sd_event *event;
        pid_t pid;
        sd_event_source *child;
        sd_event_source *timer;
        uint64_t last_usec;
        char alerted[16]; /* the OVERALL last alerted */
} Alerter;

void alerter_init(Alerter *a, sd_event *event);
void alerter_done(Alerter *a);
void alerter_consider(Alerter *a, const Config *c, const Status *s, uint64_t now);
