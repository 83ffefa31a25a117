/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: breaker files written by anybody never crash the module. */
#include <stdint.h>
#include <stdlib.h>

#include "breaker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Breaker b, c;
        char *text = NULL;
        size_t len;

        if (breaker_parse((const char *) data, size, &b) != 0)
                return 0;
        if (b.n_bad > BREAKER_BAD_MAX)
                abort();
        if (breaker_format(&b, 1, &text, &len) == 0 && breaker_parse(text, len, &c) != 0)
                abort();
        free(text);
        return 0;
}
