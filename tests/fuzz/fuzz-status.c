/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the status parser, its formatter and the module's
 * non-allocating view must agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Status *s = NULL, *t = NULL;
        unsigned line = 0;
        char *text = NULL, *copy, value[64];
        StatusView v;
        size_t len;
        int pr, vr;

        copy = malloc(size + 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        copy[size] = '\0';
        pr = status_parse(copy, size, &s, &line);
        vr = status_view_parse(copy, size, &v, &line);
        /* The view leaves repeated keys to its lookups; otherwise they agree. */
        if (vr != 0 && pr == 0)
                abort();
        if (vr == 0 && pr != 0 && pr != STATUS_E_DUPLICATE)
                abort();
        if (vr == 0)
                (void) status_view_get(&v, "LOGIN1_ACTION", value, sizeof(value));
        free(copy);
        if (pr != 0)
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
