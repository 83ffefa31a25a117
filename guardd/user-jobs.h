/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One user's logins waiting on that user's own units (issue 23): PID 1's
 * start jobs of user@UID.service, user-runtime-dir@UID.service and
 * session-ID.scope, named with the user and uid. The name comes from
 * /etc/passwd read as a file (bounded), never through NSS: a hung LDAP
 * lookup must not hang guardd.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe-bus.h"

typedef struct UserJobObs {
        uint32_t uid;
        bool uid_known;
        char user[64]; /* "" when /etc/passwd does not name the uid */
        char unit[96];
        uint64_t age_usec;
} UserJobObs;

int user_job_uid(const char *unit, const char *sessions_dir, uint32_t *ret);
bool passwd_name_of(const char *text, size_t len, uint32_t uid, char *buf, size_t size);
unsigned user_jobs_observe(const UserJob *jobs, unsigned n, uint64_t now, const char *sessions_dir,
                           const char *passwd_path, UserJobObs *ret);
