/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Numbers for people, as the summary and `guardd status` show them. */
#include "format.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"

void format_count(uint64_t n, char *buf, size_t size) {
        char tmp[32];
        size_t len, out = 0;

        (void) snprintf(tmp, sizeof(tmp), "%" PRIu64, n);
        len = strlen(tmp);
        for (size_t i = 0; i < len && out + 2 < size; i++) {
                if (i > 0 && (len - i) % 3 == 0)
                        buf[out++] = ',';
                buf[out++] = tmp[i];
        }
        buf[out] = '\0';
}

void format_bytes(uint64_t n, char *buf, size_t size) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        double v = (double) n;
        size_t u = 0;

        while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
                v /= 1024;
                u++;
        }
        if (u == 0)
                (void) snprintf(buf, size, "%" PRIu64 " B", n);
        else
                (void) snprintf(buf, size, "%.1f %s", v, units[u]);
}

void format_duration(uint64_t usec, char *buf, size_t size) {
        if (usec < USEC_PER_MSEC)
                (void) snprintf(buf, size, "%" PRIu64 " us", usec);
        else if (usec < 10 * USEC_PER_MSEC)
                (void) snprintf(buf, size, "%.1f ms", (double) usec / 1000.0);
        else if (usec < USEC_PER_SEC)
                (void) snprintf(buf, size, "%" PRIu64 " ms", usec / USEC_PER_MSEC);
        else if (usec < 120 * USEC_PER_SEC)
                (void) snprintf(buf, size, "%" PRIu64 " s", usec / USEC_PER_SEC);
        else
                (void) snprintf(buf, size, "%" PRIu64 " min", usec / (60 * USEC_PER_SEC));
}

