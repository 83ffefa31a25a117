/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Module arguments: loginguard's own options before wrap=, the wrapped
 * module's arguments after it (passed on untouched).
 */
#pragma once

#include <security/pam_modules.h>

#include "config.h"
#include "pam-util.h"

typedef struct Options {
        ModuleConfig config;
        const char *wrap; /* the wrap= value, NULL when missing */
        int wrapped_argc;
        const char **wrapped_argv; /* points into the caller's argv */
        char target_path[512];
        char target_name[64]; /* "pam_systemd", names the breaker file */
        char status_key[80]; /* "LOGIN1_ACTION" */
        char service_key[64]; /* "LOGIN1" */
} Options;

int options_parse(const PamLog *log, int argc, const char **argv, Options *ret);
