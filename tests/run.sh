#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs every test: cmocka unit binaries from $BUILD/tests, then the shell
# tests under tests/. Exit 77 means skipped (the reason is printed). Ends
# with the line "N passed, N failed, N skipped" and writes the counts to
# $BUILD/test-summary for .ci/run, and the logs of the failed tests to
# $BUILD/test-failed (one path a line). TESTS=REGEX runs a subset.
#
# The tests run one at a time, on purpose: many of them time a login
# against a deadline and start real daemons (sshd, dbus-daemon, systemd in
# a container); two at once on a 2-core machine would starve each other and
# turn timing into noise. The whole run takes about 30 minutes there, well
# inside CI's 90 (.ci/run gives this pass 50 minutes and the sanitizer
# pass 30).
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
TESTS=${TESTS:-.}
TIMEOUT=${LG_TEST_TIMEOUT:-900}
pass=0 fail=0 skip=0
failed_names=""
logdir=$BUILD/test-logs
mkdir -p "$logdir"
: >"$BUILD/test-failed"

run_one() { # NAME COMMAND...
        local name=$1 log rc t0 t1
        shift
        printf '%s\n' "$name" | grep -Eq -- "$TESTS" || return 0
        log=$logdir/$(printf '%s' "$name" | tr '/' '_').log
        t0=$(date +%s)
        timeout -k 10 "$TIMEOUT" "$@" >"$log" 2>&1 </dev/null
        rc=$?
        t1=$(date +%s)
        case $rc in
        0)
                pass=$((pass + 1))
                printf 'PASS  %-45s %3ss\n' "$name" $((t1 - t0))
                ;;
        77)
                skip=$((skip + 1))
                printf 'SKIP  %-45s %s\n' "$name" "$(grep -m1 '^SKIP' "$log" | cut -c7-)"
                ;;
        *)
                fail=$((fail + 1))
                failed_names="$failed_names $name"
                printf '%s\n' "$log" >>"$BUILD/test-failed"
                printf 'FAIL  %-45s (exit %d, log %s)\n' "$name" "$rc" "$log"
                grep -E '^(FAIL|\[  ERROR|\[   LINE|==[0-9]+==|SUMMARY)' "$log" | head -20 | sed 's/^/      /'
                tail -5 "$log" | sed 's/^/      | /'
                ;;
        esac
}

for t in "$BUILD"/tests/test-*; do
        [ -x "$t" ] || continue
        if [ -n "${VALGRIND:-}" ]; then
                run_one "unit/$(basename "$t")" valgrind -q --error-exitcode=99 --leak-check=full \
                        --errors-for-leak-kinds=definite "$t"
        else
                run_one "unit/$(basename "$t")" "$t"
        fi
done
for t in tests/pam/*.sh tests/integration/*.sh tests/e2e/*.sh tests/realstack/*.sh; do
        [ -f "$t" ] || continue
        run_one "${t#tests/}" bash "$t"
done

printf '%d %d %d\n' "$pass" "$fail" "$skip" >"$BUILD/test-summary"
[ -n "$failed_names" ] && printf 'failed:%s\n' "$failed_names"
printf '%d passed, %d failed, %d skipped\n' "$pass" "$fail" "$skip"
[ "$fail" -eq 0 ]
