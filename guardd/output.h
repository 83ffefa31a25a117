/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rendering a status for people and monitors: the human view with a
 * runbook hint, JSON, the Nagios plugin line, and Prometheus text (also
 * written as a node-exporter textfile). The renderers are pure functions
 * of the status file's content (and what `guardd status` learned about
 * the guardd process that wrote it), so `guardd status` never touches the
 * bus, and every output is tested from fixtures.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "format.h"
#include "status.h"

typedef enum OutputMode {
        OUTPUT_HUMAN,
        OUTPUT_JSON,
        OUTPUT_NAGIOS,
        OUTPUT_PROMETHEUS,
        _OUTPUT_MODE_MAX,
} OutputMode;

/* Monitoring-plugin exit codes. */
enum { STATE_OK = 0, STATE_WARNING = 1, STATE_CRITICAL = 2, STATE_UNKNOWN = 3 };

typedef enum GuarddLiveness {
        GUARDD_UNCHECKED,
        GUARDD_GONE, /* its pid no longer runs guardd */
        GUARDD_ALIVE, /* it runs, but its status is stale */
} GuarddLiveness;

typedef struct OutputContext {
        const Status *status; /* NULL when missing or unreadable */
        const char *path;
        const char *problem; /* why the status is unusable (missing, stale, ...) */
        uint64_t age_usec;
        bool stale;
        GuarddLiveness liveness; /* for a stale status */
        char guardd_state; /* R, S, D, T of a live guardd */
        char guardd_wchan[64]; /* where it sleeps */
} OutputContext;

int output_state(const OutputContext *c);
int output_render(const OutputContext *c, OutputMode mode, FILE *f);
int output_write_metrics(const Status *s, const char *path);
void output_nagios_usage(FILE *f, const char *problem);
