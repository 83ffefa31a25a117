#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# guardd's own lateness is never a verdict about logind (issue 24). guardd
# is starved of CPU (pinned to one CPU at nice 19 beside two busy loops at
# nice -20) while logind, the bus and this test run on the other CPU: the
# answers come in time, guardd reads them late. It must say so
# (GUARDD_LATE_CALLS), never LOGIN1=stuck and never tell logins to skip.
# Then logind really frozen while guardd runs free: still stuck, still skip.
# (Without the discount, guardd said skip in 95 of 100 samples here.)
. "$(dirname "$0")/../lib/harness.sh"
lg_setup
[ "$(nproc)" -ge 2 ] || lg_skip "needs 2 CPUs (one to starve guardd on, one for logind)"
command -v taskset >/dev/null || lg_skip "taskset(1) missing"
lg_start_bus
lg_start_logind
LG_INTERVAL_MS=200 LG_PROBE_TIMEOUT_MS=200
lg_guardd_conf
lg_start_guardd
lg_check "healthy: LOGIN1=ok" lg_wait_status LOGIN1 ok 5
lg_assert_eq "$(lg_status_key LOGIN1_ACTION)" allow "healthy: allow"

late0=$(lg_status_key GUARDD_LATE_CALLS)
taskset -a -p -c 1 $$ >/dev/null
taskset -a -p -c 1 "$BUS_PID" >/dev/null
taskset -a -p -c 1 "$LOGIND_PID" >/dev/null
taskset -a -p -c 0 "$GUARDD_PID" >/dev/null
renice -n 19 -p "$GUARDD_PID" >/dev/null
HOGS=""
for _ in 1 2; do
        nice -n "${LG_HOG_NICE:-0}" taskset -c 0 sh -c 'while :; do :; done' &
        HOGS="$HOGS $!"
        lg_track "$!"
done
# 10 s of samples: what a login reading the status would have been told.
stuck=0 bus=0 skip=0 samples=0 writes=0 last=""
for _ in $(seq 1 100); do
        sleep 0.1
        w=$(lg_status_key WRITTEN_MONOTONIC_USEC)
        [ -n "$w" ] && [ "$w" != "$last" ] && writes=$((writes + 1)) last=$w
        [ "$(lg_status_key LOGIN1)" = stuck ] && stuck=$((stuck + 1))
        [ "$(lg_status_key BUS)" = ok ] || bus=$((bus + 1))
        [ "$(lg_status_key LOGIN1_ACTION)" = skip ] && skip=$((skip + 1))
        samples=$((samples + 1))
done
# shellcheck disable=SC2086
kill $HOGS
renice -n 0 -p "$GUARDD_PID" >/dev/null
lg_check "guardd runs free again: a fresh status" lg_wait_status_ge WRITTEN_MONOTONIC_USEC $((last + 1)) 10
late=$(($(lg_status_key GUARDD_LATE_CALLS) - late0))
lg_log "starved guardd: $writes status writes in $samples samples, $late late calls, LOGIN1=stuck in $stuck, BUS not ok in $bus, skip in $skip"
lg_assert_ge "$late" 1 "starved guardd: it saw it was late (GUARDD_LATE_CALLS)"
lg_assert_eq "$stuck" 0 "starved guardd: never LOGIN1=stuck while logind answered"
lg_assert_eq "$bus" 0 "starved guardd: never BUS=stuck while the bus answered"
lg_assert_eq "$skip" 0 "starved guardd: never told logins to skip"
lg_assert_eq "$(lg_status_key LOGIN1)" ok "starved guardd: LOGIN1=ok after"

# The discount takes nothing from a real verdict: logind frozen, guardd free.
lg_freeze "$LOGIND_PID"
lg_check "logind frozen: LOGIN1=stuck" lg_wait_status LOGIN1 stuck 10
lg_assert_eq "$(lg_status_key LOGIN1_ACTION)" skip "logind frozen: skip"
lg_thaw "$LOGIND_PID"
lg_check "thawed: allow" lg_wait_status LOGIN1_ACTION allow 10
lg_done
