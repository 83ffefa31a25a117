/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the status parser and its formatter must agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Status *s = NULL, *t = NULL;
        unsigned line = 0;
        char *text = NULL;
        size_t len;

        if (status_parse((const char *) data, size, &s, &line) != 0)
                return 0;
        /* Whatever parses must format and parse back to the same keys. */
        if (status_format(s, &text, &len) == 0) {
                if (status_parse(text, len, &t, &line) != 0 || status_count(t) != status_count(s))
                        abort();
                for (size_t i = 1; i < status_count(s); i++) /* 0 is FORMAT, rewritten */
                        if (strcmp(status_value_at(s, i), status_get(t, status_key_at(s, i))) != 0)
                                abort();
        }
        (void) status_check_fresh(s, 1000000, 500000, NULL);
        free(text);
        status_free(t);
        status_free(s);
        return 0;
}
