/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rendering a status for people and monitors: the human view with a
 * runbook hint, JSON, the Nagios plugin line, and Prometheus text (also
 * written as a node-exporter textfile). All of it works from the status
 * file alone, so `guardd status` never touches the bus.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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

typedef struct OutputContext {
        const Status *status; /* NULL when missing or unreadable */
        const char *path;
        const char *problem; /* why the status is unusable (missing, stale, ...) */
        uint64_t age_usec;
        bool stale;
} OutputContext;

int output_state(const OutputContext *c);
int output_render(const OutputContext *c, OutputMode mode, FILE *f);
int output_write_metrics(const Status *s, const char *path);
void format_duration(uint64_t usec, char *buf, size_t size);
void format_count(uint64_t n, char *buf, size_t size);
void format_bytes(uint64_t n, char *buf, size_t size);
