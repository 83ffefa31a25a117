/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: a breaker file is 64-bit words anybody with root could
 * have written; whatever they hold, checking and judging them never
 * crashes and never yields an invalid state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "breaker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const uint8_t boot[16];
        const BreakerParams p = { .trip = 2, .window_usec = 60000000, .cooldown_usec = 30000000,
                                  .trial_timeout_usec = 20000000 };
        BreakerRecord r = {};
        uint64_t now = 123456789;
        BreakerVerdict v;

        memcpy(&r, data, size < sizeof(r) ? size : sizeof(r));
        if (size >= sizeof(r) && breaker_record_check(&r, sizeof(r), boot) == 0) {
                if (BREAKER_WORD_STATE(r.word) >= _BREAKER_STATE_MAX)
                        abort();
        }
        v = breaker_verdict_for(r.word, &p, now);
        if (v != BREAKER_CALL && v != BREAKER_SKIP && v != BREAKER_TRIAL_DUE)
                abort();
        if (breaker_bad_within(&r, r.word, &p, now) > BREAKER_BAD_SLOTS)
                abort();
        return 0;
}
