/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Floods a bus name with no-reply method calls, the shape of the mount
 * storm of incident 3: the bus daemon has to queue them for the (frozen)
 * destination, and its per-connection statistics show the bytes held.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "macro.h"
#include "parse-util.h"

int main(int argc, char **argv) {
        static const struct option opts[] = {
                { "count", required_argument, NULL, 'c' },
                { "size", required_argument, NULL, 's' },
                { "dest", required_argument, NULL, 'd' },
                {},
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *dest = "org.freedesktop.login1";
        uint64_t count = 1000, size = 4096;
        _cleanup_free_ char *payload = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
                switch (c) {
                case 'c':
                        if (parse_u64(optarg, &count) < 0)
                                return 2;
                        break;
                case 's':
                        if (parse_u64(optarg, &size) < 0 || size > 1000000)
                                return 2;
                        break;
                case 'd': dest = optarg; break;
                default: return 2;
                }
        payload = malloc(size + 1);
        if (!payload)
                return 1;
        memset(payload, 'x', size);
        payload[size] = '\0';
        r = sd_bus_open_system(&bus);
        for (uint64_t i = 0; r >= 0 && i < count; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

                r = sd_bus_message_new_method_call(bus, &m, dest, "/org/freedesktop/login1",
                                                   "org.freedesktop.login1.Manager", "Flood");
                if (r >= 0)
                        r = sd_bus_message_set_expect_reply(m, 0);
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", payload);
                if (r >= 0)
                        r = sd_bus_send(bus, m, NULL);
        }
        if (r >= 0)
                r = sd_bus_flush(bus);
        if (r < 0) {
                fprintf(stderr, "bus-flood: %s\n", strerror(-r));
                return 1;
        }
        printf("sent=%" PRIu64 " bytes=%" PRIu64 "\n", count, count * size);
        return 0;
}
