/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "user-jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io-util.h"
#include "macro.h"
#include "parse-util.h"

#define PASSWD_MAX ((size_t) 1024 * 1024)
#define SESSION_FILE_MAX 4096U

/* "user@1000.service", "user-runtime-dir@1000.service": the uid in the name. */
static int uid_of_instance(const char *unit, uint32_t *ret) {
        const char *at = strchr(unit, '@'), *dot = strrchr(unit, '.');
        char num[16];
        uint64_t v;

        if (!at || !dot || dot <= at + 1 || (size_t) (dot - at - 1) >= sizeof(num))
                return -EINVAL;
        memcpy(num, at + 1, (size_t) (dot - at - 1));
        num[dot - at - 1] = '\0';
        if (parse_u64(num, &v) < 0 || v > UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t) v;
        return 0;
}

/* "session-c3.scope": the UID= line of logind's file for session c3. */
static int uid_of_session(const char *unit, const char *sessions_dir, uint32_t *ret) {
        char id[64], path[512], buf[SESSION_FILE_MAX];
        const char *p;
        size_t n = strlen(unit) - strlen("session-") - strlen(".scope");
        ssize_t len;
        uint64_t v;
        _cleanup_close_ int fd = -EBADF;

        if (n == 0 || n >= sizeof(id))
                return -EINVAL;
        memcpy(id, unit + strlen("session-"), n);
        id[n] = '\0';
        if (strchr(id, '/'))
                return -EINVAL;
        (void) snprintf(path, sizeof(path), "%s/%s", sessions_dir, id);
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        len = read_full(fd, buf, sizeof(buf) - 1);
        if (len < 0)
                return (int) len;
        buf[len] = '\0';
        for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, "UID=", 4) == 0) {
                        char num[16];
                        size_t k = strcspn(p + 4, "\n");

                        if (k == 0 || k >= sizeof(num))
                                return -EBADMSG;
                        memcpy(num, p + 4, k);
                        num[k] = '\0';
                        if (parse_u64(num, &v) < 0 || v > UINT32_MAX)
                                return -EBADMSG;
                        *ret = (uint32_t) v;
                        return 0;
                }
        return -ENOENT;
}

/**
 * user_job_uid() - whose logins a unit's start job holds.
 * @unit: user@UID.service, user-runtime-dir@UID.service or session-ID.scope
 * @sessions_dir: logind's session files (for a scope)
 * @ret: the uid
 *
 * Return: 0 or -errno.
 */
int user_job_uid(const char *unit, const char *sessions_dir, uint32_t *ret) {
        if (strncmp(unit, "session-", 8) == 0)
                return uid_of_session(unit, sessions_dir, ret);
        return uid_of_instance(unit, ret);
}

/* A name as people and outputs may see it: letters, digits, ._- only. */
static bool plain_name(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
                        return false;
        return true;
}

/**
 * passwd_name_of() - the name of @uid in passwd(5) text. Pure.
 * @text: the file
 * @len: its length
 * @uid: the uid
 * @buf: out
 * @size: its size
 *
 * Return: true when a line names @uid with a plain name (letters, digits,
 * '.', '_', '-'); anything else is not shown.
 */
bool passwd_name_of(const char *text, size_t len, uint32_t uid, char *buf, size_t size) {
        const char *end = text + len;

        for (const char *line = text; line < end;) {
                const char *nl = memchr(line, '\n', (size_t) (end - line));
                const char *eol = nl ? nl : end;
                const char *c1 = memchr(line, ':', (size_t) (eol - line));
                const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t) (eol - c1 - 1)) : NULL;
                const char *c3 = c2 ? memchr(c2 + 1, ':', (size_t) (eol - c2 - 1)) : NULL;
                char num[16];
                uint64_t v;

                if (c3 && (size_t) (c3 - c2 - 1) < sizeof(num) && c3 > c2 + 1) {
                        memcpy(num, c2 + 1, (size_t) (c3 - c2 - 1));
                        num[c3 - c2 - 1] = '\0';
                        if (parse_u64(num, &v) == 0 && v == uid &&
                            plain_name(line, (size_t) (c1 - line)) && (size_t) (c1 - line) < size) {
                                memcpy(buf, line, (size_t) (c1 - line));
                                buf[c1 - line] = '\0';
                                return true;
                        }
                }
                line = nl ? nl + 1 : end;
        }
        return false;
}

static unsigned rank(const char *unit) {
        if (strncmp(unit, "user-runtime-dir@", 17) == 0)
                return 0;
        return strncmp(unit, "user@", 5) == 0 ? 1 : 2;
}

static bool before(const UserJobObs *a, const UserJobObs *b) {
        unsigned ra = rank(a->unit), rb = rank(b->unit);

        return ra != rb ? ra < rb : a->age_usec > b->age_usec;
}

/**
 * user_jobs_observe() - the pending jobs with uid, user name and age.
 * @jobs: PID 1's start jobs of users' units, as last listed
 * @n: how many
 * @now: CLOCK_MONOTONIC usec
 * @sessions_dir: logind's session files
 * @passwd_path: /etc/passwd
 * @ret: out, USER_JOBS_MAX entries
 *
 * Return: the number of entries: the users' runtime directories and
 * managers first, then session scopes, each oldest first.
 */
unsigned user_jobs_observe(const UserJob *jobs, unsigned n, uint64_t now, const char *sessions_dir,
                           const char *passwd_path, UserJobObs *ret) {
        _cleanup_free_ char *pw = NULL;
        size_t pw_len = 0;

        if (n == 0)
                return 0;
        if (read_trusted_file(AT_FDCWD, passwd_path, 0, PASSWD_MAX, &pw, &pw_len) < 0)
                pw = NULL;
        for (unsigned i = 0; i < n; i++) {
                UserJobObs *o = &ret[i];

                *o = (UserJobObs){ .age_usec = now >= jobs[i].first_seen_usec
                                                       ? now - jobs[i].first_seen_usec
                                                       : 0 };
                (void) snprintf(o->unit, sizeof(o->unit), "%s", jobs[i].unit);
                o->uid_known = user_job_uid(jobs[i].unit, sessions_dir, &o->uid) == 0;
                if (o->uid_known && pw)
                        (void) passwd_name_of(pw, pw_len, o->uid, o->user, sizeof(o->user));
        }
        /* The cause first: a session scope waits for its user's manager,
         * which waits for the user's runtime directory; then the oldest. */
        for (unsigned i = 1; i < n; i++)
                for (unsigned j = i; j > 0 && before(&ret[j], &ret[j - 1]); j--) {
                        UserJobObs t = ret[j];
                        ret[j] = ret[j - 1];
                        ret[j - 1] = t;
                }
        return n;
}
