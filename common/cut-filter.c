/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The peers a deadline cut may shut down (see cut-filter.h).
 */
#include "cut-filter.h"

#include <string.h>

#include "macro.h"

#define DEFAULT_BUS "/run/dbus/system_bus_socket"

static void copy_bounded(char *dst, size_t size, const char *src, size_t n) {
        n = MIN(n, size - 1);
        memcpy(dst, src, n);
        dst[n] = '\0';
}

/* The first unix: address of a D-Bus address list, as a socket name. */
static void bus_socket_of(CutFilter *f, const char *address) {
        for (const char *p = address; p && *p;) {
                size_t n = strcspn(p, ";");

                if (strncmp(p, "unix:", 5) == 0) {
                        const char *path = strstr(p, "path="), *abs = strstr(p, "abstract=");

                        if (path && path < p + n) {
                                copy_bounded(f->bus, sizeof(f->bus), path + 5, strcspn(path + 5, ",;"));
                                f->bus_len = strlen(f->bus);
                                return;
                        }
                        if (abs && abs < p + n) {
                                f->bus[0] = '\0';
                                copy_bounded(f->bus + 1, sizeof(f->bus) - 1, abs + 9,
                                             strcspn(abs + 9, ",;"));
                                f->bus_len = 1 + strlen(f->bus + 1);
                                return;
                        }
                }
                p += n + (p[n] == ';');
        }
}

/**
 * cut_filter_init() - the peers a wrapped session module talks to.
 * @f: filter
 * @bus_address: $DBUS_SYSTEM_BUS_ADDRESS as the module sees it (NULL: default)
 * @devlog_path: the syslog socket
 */
void cut_filter_init(CutFilter *f, const char *bus_address, const char *devlog_path) {
        *f = (CutFilter){};
        bus_socket_of(f, bus_address && *bus_address ? bus_address : "unix:path=" DEFAULT_BUS);
        copy_bounded(f->devlog, sizeof(f->devlog), devlog_path, strlen(devlog_path));
}

static bool has_prefix(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/**
 * cut_filter_match() - may a socket connected to @peer be cut?
 * @f: filter
 * @peer: sun_path of the peer's address (not NUL-terminated when abstract)
 * @len: its length
 *
 * Return: true for the system bus, /run/systemd/ sockets and /dev/log.
 */
bool cut_filter_match(const CutFilter *f, const char *peer, size_t len) {
        char path[CUT_PATH_MAX];

        if (len == 0)
                return false;
        if (peer[0] == '\0')
                return f->bus_len > 0 && f->bus[0] == '\0' && len == f->bus_len &&
                       memcmp(peer, f->bus, len) == 0;
        copy_bounded(path, sizeof(path), peer, strnlen(peer, len));
        return (f->bus_len > 0 && f->bus[0] != '\0' && strcmp(path, f->bus) == 0) ||
               strcmp(path, DEFAULT_BUS) == 0 || strcmp(path, "/var" DEFAULT_BUS) == 0 ||
               has_prefix(path, "/run/systemd/") || has_prefix(path, "/var/run/systemd/") ||
               strcmp(path, "/dev/log") == 0 || (*f->devlog && strcmp(path, f->devlog) == 0);
}
