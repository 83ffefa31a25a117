#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The man pages render without a single groff/man warning.
. "$(dirname "$0")/../lib/harness.sh"
command -v man >/dev/null || lg_skip "man(1) missing (package man-db)"
for m in "$LG_ROOT"/docs/*.[1-8]; do
        w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$m" 2>&1 >/dev/null)
        lg_assert_eq "$w" "" "$(basename "$m"): man --warnings clean"
        lg_assert_match "$(MANWIDTH=80 man -l "$m" 2>/dev/null)" '^NAME' "$(basename "$m") renders"
done
lg_done
