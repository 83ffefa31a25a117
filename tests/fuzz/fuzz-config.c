/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the config parser never crashes and reports a line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ConfigError e = {};
        Config c;
        int r;

        config_init(&c);
        r = config_parse_text(&c, (const char *) data, size, &e);
        if (r < 0 && (e.line == 0 || e.error != r))
                abort();
        /* Strings stay terminated whatever was fed in. */
        if (strnlen(c.status_path, sizeof(c.status_path)) == sizeof(c.status_path))
                abort();
        return 0;
}
