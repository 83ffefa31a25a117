/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The config parser: defaults, every key type, and errors with their line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "io-util.h"

static void test_defaults(void **state) {
        Config c;

        config_init(&c);
        assert_int_equal(c.deadline_usec, 2000000);
        assert_int_equal(c.max_age_usec, 5000000);
        assert_int_equal(c.trip, 2);
        assert_int_equal(c.window_usec, 60000000);
        assert_int_equal(c.cooldown_usec, 30000000);
        assert_int_equal(c.slow_usec, 1000000);
        assert_true(c.notify);
        assert_false(c.debug);
        assert_string_equal(c.status_path, "/run/loginguard/status");
        assert_string_equal(c.state_dir, "/run/loginguard");
        assert_string_equal(c.devlog_path, "/dev/log");
        assert_string_equal(c.devlog_remedy, "resume,drain");
        assert_string_equal(c.spool_dir, "/var/spool/loginguard");
        assert_int_equal(c.interval_usec, 1000000);
        assert_int_equal(c.probe_timeout_usec, 1000000);
        assert_int_equal(c.devlog_stuck_usec, 3000000);
        assert_int_equal(c.devlog_replay_rate, 1000);
        assert_int_equal(c.alert_cooldown_usec, 300000000);
        assert_string_equal(c.metrics_path, "auto");
        assert_string_equal(c.bus_address, "");
}

static void test_text(void **state) {
        const char *text = "# comment\n"
                           "\n"
                           " \t# an indented comment = with an equals sign\n"
                           "\t \r\n"
                           "  deadline = 1500  \n"
                           "status_path=/tmp/x/status\n"
                           "devlog_remedy = resume,drain\n"
                           "alert_command = \"/usr/bin/logger -t lg\"\n"
                           "notify = no\n"
                           "interval_ms = 2s\r\n";
        ConfigError e = {};
        Config c;

        config_init(&c);
        assert_int_equal(config_parse_text(&c, text, strlen(text), &e), 0);
        assert_int_equal(c.deadline_usec, 1500000);
        assert_string_equal(c.status_path, "/tmp/x/status");
        assert_string_equal(c.devlog_remedy, "resume,drain");
        assert_string_equal(c.alert_command, "/usr/bin/logger -t lg");
        assert_false(c.notify);
        assert_int_equal(c.interval_usec, 2000000);
}

static void test_errors(void **state) {
        static const struct {
                const char *text;
                int error;
                unsigned line;
                const char *key;
        } cases[] = {
                { "deadline = 500\nbogus = 1\n", -ENOKEY, 2, "bogus" },
                { "\n\ndeadline = soon\n", -EINVAL, 3, "deadline" },
                { "trip = 0\n", -ERANGE, 1, "trip" },
                { "trip = 65\n", -ERANGE, 1, "trip" },
                { "deadline = 1\n", -ERANGE, 1, "deadline" },
                { "just words\n", -EBADMSG, 1, "" },
                { "status_path = relative/path\n", -EINVAL, 1, "status_path" },
                { "devlog_remedy = resume,reboot\n", -EINVAL, 1, "devlog_remedy" },
                { "devlog_remedy = drain,drain\n", -EINVAL, 1, "devlog_remedy" },
                { "notify = perhaps\n", -EINVAL, 1, "notify" },
                { "service = Login1\n", -EINVAL, 1, "service" },
                /* Blank and comment lines are skipped before the copy (config.c's
                 * line_is_empty()); what only looks empty is still parsed. */
                { " \t\r\n\t# c = d\n \r \t\n\rx\n", -EBADMSG, 4, "" },
                { "\r# comment\n", -EBADMSG, 1, "" },
                { "  #\n\t\n\nbogus = 1 # x\n", -ENOKEY, 4, "bogus" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                ConfigError e = {};
                Config c;

                config_init(&c);
                assert_int_equal(config_parse_text(&c, cases[i].text, strlen(cases[i].text), &e),
                                 cases[i].error);
                assert_int_equal(e.line, cases[i].line);
                assert_int_equal(e.error, cases[i].error);
                assert_string_equal(e.key, cases[i].key);
                assert_non_null(config_strerror(e.error));
        }
}

static void test_long_line(void **state) {
        char *text = malloc(CONFIG_LINE_MAX + 100);
        ConfigError e = {};
        Config c;

        assert_non_null(text);
        memcpy(text, "alert_command = ", 16);
        memset(text + 16, 'x', CONFIG_LINE_MAX + 50);
        text[CONFIG_LINE_MAX + 66] = '\n';
        config_init(&c);
        assert_int_equal(config_parse_text(&c, text, CONFIG_LINE_MAX + 67, &e), -E2BIG);
        assert_int_equal(e.line, 1);
        free(text);
}

static void test_too_long_value(void **state) {
        char value[CONFIG_PATH_MAX + 10];
        Config c;

        memset(value, 'a', sizeof(value) - 1);
        value[0] = '/';
        value[sizeof(value) - 1] = '\0';
        config_init(&c);
        assert_int_equal(config_set(&c, "status_path", value, CONFIG_SCOPE_ALL), -ERANGE);
        assert_string_equal(c.status_path, "/run/loginguard/status");
}

static void test_scope(void **state) {
        Config c;

        config_init(&c);
        /* A daemon key is not a module argument. */
        assert_int_equal(config_set(&c, "interval_ms", "5", CONFIG_SCOPE_MODULE), -ENOKEY);
        assert_int_equal(config_set(&c, "deadline", "300", CONFIG_SCOPE_MODULE), 0);
        assert_int_equal(config_set(&c, "status", "/x", CONFIG_SCOPE_MODULE), 0);
        assert_string_equal(c.status_path, "/x");
}

static void test_metrics_path(void **state) {
        Config c;

        config_init(&c);
        /* auto (the default), a path, or empty: off. Nothing else. */
        assert_int_equal(config_set(&c, "metrics_path", "lg.prom", CONFIG_SCOPE_DAEMON), -EINVAL);
        assert_int_equal(config_set(&c, "metrics_path", "automatic", CONFIG_SCOPE_DAEMON), -EINVAL);
        assert_string_equal(c.metrics_path, "auto");
        assert_int_equal(config_set(&c, "metrics_path", "/x/lg.prom", CONFIG_SCOPE_DAEMON), 0);
        assert_string_equal(c.metrics_path, "/x/lg.prom");
        assert_int_equal(config_set(&c, "metrics_path", "", CONFIG_SCOPE_DAEMON), 0);
        assert_string_equal(c.metrics_path, "");
        assert_int_equal(config_set(&c, "metrics_path", "auto", CONFIG_SCOPE_DAEMON), 0);
        assert_string_equal(c.metrics_path, "auto");
}

static void test_file(void **state) {
        char dir[] = "/tmp/test-config.XXXXXX", path[256], link[300];
        ConfigError e = {};
        Config c;
        int fd;

        assert_non_null(mkdtemp(dir));
        (void) snprintf(path, sizeof(path), "%s/loginguard.conf", dir);
        config_init(&c);
        assert_int_equal(config_load_file(&c, path, getuid(), &e), -ENOENT);

        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(loop_write(fd, "trip = 5\n", 9), 0);
        close(fd);
        assert_int_equal(config_load_file(&c, path, getuid(), &e), 0);
        assert_int_equal(c.trip, 5);

        assert_int_equal(chmod(path, 0666), 0);
        assert_int_equal(config_load_file(&c, path, getuid(), &e), TRUST_E_MODE);
        assert_int_equal(chmod(path, 0644), 0);
        (void) snprintf(link, sizeof(link), "%s/link.conf", dir);
        assert_int_equal(symlink(path, link), 0);
        assert_int_equal(config_load_file(&c, link, getuid(), &e), TRUST_E_SYMLINK);
        unlink(link);
        unlink(path);
        rmdir(dir);
}

/* read_trusted_file() sizes its buffer by fstat(), yet reads a file that
 * holds more than fstat() said (one that grew; a /proc file says 0) up to
 * the limit, and refuses it past the limit. */
static void test_read_sizes(void **state) {
        char dir[] = "/tmp/test-read.XXXXXX", path[256], *buf = NULL, *want = NULL;
        size_t len = 0, want_len = 0;
        FILE *f;
        int fd;

        assert_non_null(mkdtemp(dir));
        (void) snprintf(path, sizeof(path), "%s/f", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(read_trusted_file(AT_FDCWD, path, getuid(), 100, &buf, &len), TRUST_OK);
        assert_int_equal(len, 0);
        assert_string_equal(buf, "");
        free(buf);
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_int_equal(loop_write(fd, "0123456789", 10), 0);
        close(fd);
        assert_int_equal(read_trusted_file(AT_FDCWD, path, getuid(), 10, &buf, &len), TRUST_OK);
        assert_string_equal(buf, "0123456789");
        free(buf);
        assert_int_equal(read_trusted_file(AT_FDCWD, path, getuid(), 9, &buf, &len),
                         TRUST_E_OVERSIZE);
        unlink(path);
        rmdir(dir);

        /* /proc/self/mountinfo: ours, 0444, fstat() size 0. */
        f = fopen("/proc/self/mountinfo", "re");
        assert_non_null(f);
        assert_true(getdelim(&want, &want_len, '\0', f) > 0);
        fclose(f);
        assert_int_equal(
                read_trusted_file(AT_FDCWD, "/proc/self/mountinfo", getuid(), 1 << 20, &buf, &len),
                TRUST_OK);
        /* The table may differ between two reads only if a mount changed. */
        assert_true(len > 100);
        assert_memory_equal(buf, want, 40);
        free(buf);
        free(want);
        assert_int_equal(
                read_trusted_file(AT_FDCWD, "/proc/self/mountinfo", getuid(), 50, &buf, &len),
                TRUST_E_OVERSIZE);
}

static void test_remedy(void **state) {
        assert_int_equal(config_remedy_valid("none"), 0);
        assert_int_equal(config_remedy_valid("resume"), 0);
        assert_int_equal(config_remedy_valid("resume,restart,drain"), 0);
        assert_int_equal(config_remedy_valid(""), -EINVAL);
        assert_int_equal(config_remedy_valid("resume,"), -EINVAL);
        assert_int_equal(config_remedy_valid("none,resume"), -EINVAL);
}

/* conf/loginguard.conf documents every key with its default: uncommenting
 * every "#key = value" line must parse and change nothing. */
static void test_shipped_file(void **state) {
        FILE *f = fopen("conf/loginguard.conf", "re");
        char line[1200], *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&text, &size);
        ConfigError e = {};
        Config c, d;

        assert_non_null(f);
        assert_non_null(out);
        while (fgets(line, sizeof(line), f))
                if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' && strstr(line, " ="))
                        fputs(line + 1, out);
        fclose(f);
        fclose(out);
        memset(&c, 0, sizeof(c)); /* padding too, for the memory comparison */
        memset(&d, 0, sizeof(d));
        config_init(&c);
        config_init(&d);
        assert_int_equal(config_parse_text(&c, text, size, &e), 0);
        assert_memory_equal(&c, &d, sizeof(c));
        for (size_t i = 0; i < config_key_count(); i++) {
                char needle[80];

                if (strcmp(config_key_name(i), "status") == 0) /* module alias of status_path */
                        continue;
                (void) snprintf(needle, sizeof(needle), "\n%s =", config_key_name(i));
                if (!strstr(text, needle) && strncmp(text, needle + 1, strlen(needle) - 1) != 0)
                        fail_msg("key '%s' missing from conf/loginguard.conf", config_key_name(i));
        }
        free(text);
}

/* A login parses into a ModuleConfig alone (config_load_module()): the
 * same file gives it exactly what the whole Config's module part gets,
 * guardd's keys are checked and refused alike but never written past the
 * ModuleConfig (an exact heap allocation: the sanitizer build catches a
 * write past it), and a bad guardd line stops the parse at its line. */
static void write_conf(const char *path, const char *text) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(loop_write(fd, text, strlen(text)), 0);
        close(fd);
}

static void test_module(void **state) {
        const char *every = "deadline = 1500\npatience = 9s\nmax_age = 700\ntrip = 4\n"
                            "window = 90\ncooldown = 45\nslow = 300\nnotify = no\ndebug = yes\n"
                            "guardd_watchdog = no\nservice = login1\nstate_dir = /s\n"
                            "status = /st\ndevlog_path = /d/log\nsessions_dir = /sess\n"
                            "bus_address = unix:path=/b\nmetrics_path = /m.prom\n"
                            "interval_ms = 500\nprobe_timeout_ms = 600\nunits_dir = /u\n"
                            "mountinfo_path = /mi\ndevlog_stuck_ms = 900\n"
                            "devlog_remedy = restart\ndevlog_replay_rate = 7\nspool_dir = /sp\n"
                            "alert_command = /bin/true\nalert_cooldown_s = 5\n"
                            "login1_slow_ms = 20\nqueue_skip_bytes = 99\n"
                            "queue_growth_warn_bytes = 98\nsessions_warn = 97\n"
                            "scopes_warn = 96\ncpu_warn_percent = 95\n"
                            "user_job_warn_ms = 800\nhealthy_rounds = 9\n";
        char dir[] = "/tmp/test-config.XXXXXX", path[256];
        const char *used = NULL;
        ModuleConfig *m = malloc(sizeof(*m)), defaults;
        ConfigError e = {};
        Config c;

        assert_non_null(m);
        assert_non_null(mkdtemp(dir));
        (void) snprintf(path, sizeof(path), "%s/loginguard.conf", dir);
        memset(&c, 0, sizeof(c));
        memset(m, 0, sizeof(*m));
        memset(&defaults, 0, sizeof(defaults));
        config_init(&c);
        config_init_module(m);
        config_init_module(&defaults);
        assert_memory_equal(&c.module, m, sizeof(*m));

        write_conf(path, every);
        assert_int_equal(config_load(&c, path, getuid(), &used, &e), 0);
        assert_int_equal(config_load_module(m, path, getuid(), &used, &e), 0);
        assert_string_equal(used, path);
        assert_memory_equal(&c.module, m, sizeof(*m));
        assert_int_equal(m->deadline_usec, 1500000);
        assert_string_equal(m->sessions_dir, "/sess");
        assert_int_equal(c.healthy_rounds, 9);

        /* A bad guardd line: the same error, line and key; lines before it
         * applied, lines after it not. */
        config_init_module(m);
        write_conf(path, "trip = 3\nbus_address = unix:path=/b\ninterval_ms = 1\nslow = 5\n");
        assert_int_equal(config_load_module(m, path, getuid(), &used, &e), -ERANGE);
        assert_int_equal(e.line, 3);
        assert_string_equal(e.key, "interval_ms");
        assert_int_equal(m->trip, 3);
        assert_int_equal(m->slow_usec, defaults.slow_usec);
        write_conf(path, "devlog_remedy = reboot\n");
        assert_int_equal(config_load_module(m, path, getuid(), &used, &e), -EINVAL);
        assert_int_equal(e.line, 1);

        /* Arguments: guardd's keys are not the module's. */
        assert_int_equal(config_set_module(m, "interval_ms", "500", CONFIG_SCOPE_MODULE), -ENOKEY);
        assert_int_equal(config_set_module(m, "devlog_path", "/x", CONFIG_SCOPE_MODULE), 0);
        assert_string_equal(m->devlog_path, "/x");
        free(m);
        unlink(path);
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),       cmocka_unit_test(test_text),
                cmocka_unit_test(test_errors),         cmocka_unit_test(test_long_line),
                cmocka_unit_test(test_too_long_value), cmocka_unit_test(test_scope),
                cmocka_unit_test(test_file),           cmocka_unit_test(test_remedy),
                cmocka_unit_test(test_read_sizes),     cmocka_unit_test(test_shipped_file),
                cmocka_unit_test(test_metrics_path),   cmocka_unit_test(test_module),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
