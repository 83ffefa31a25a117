#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make analyze (clang-tidy, cppcheck, gcc -fanalyzer) finds nothing in the
# product's sources: a new finding fails make check instead of waiting for
# someone to run the analyzers by hand.
. "$(dirname "$0")/../lib/harness.sh"
out=$(CC=gcc "$LG_ROOT/scripts/analyze.sh" 2>&1)
rc=$?
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /' | head -80
lg_assert_eq "$rc" 0 "scripts/analyze.sh exits 0"
lg_assert_eq "$(printf '%s\n' "$out" | tail -n 1)" "analyze: clean" "the analyzers report no finding"
lg_done
