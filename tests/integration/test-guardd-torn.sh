#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The status file is replaced atomically: guardd is killed with SIGKILL
# again and again while a reader reads it 10,000 times; every read is a
# complete, valid status (never torn, never partial).
. "$(dirname "$0")/../lib/harness.sh"
lg_setup
lg_start_bus
lg_start_logind
LG_INTERVAL_MS=50 LG_PROBE_TIMEOUT_MS=50
lg_guardd_conf
lg_start_guardd
# Each read starts a process: under the sanitizers on a busy machine 10,000
# of them outlast the test's 15 minutes.
N=${LG_TORN_READS:-10000}
[ -z "${SANITIZE:-}" ] || N=${LG_TORN_READS:-2000}
(
        end=$((SECONDS + 120))
        while [ $SECONDS -lt $end ] && [ ! -e "$LG_TMP/stop" ]; do
                "$B/guardd" --config "$LG_TMP/guardd.conf" >/dev/null 2>&1 &
                p=$!
                sleep 0.0$((RANDOM % 9 + 1))
                kill -KILL $p 2>/dev/null
                wait $p 2>/dev/null
        done
) &
killer=$!
lg_track "$killer"
bad=0
for ((i = 0; i < N; i++)); do
        if ! "$B/tests/status-tool" read "$GUARDD_STATUS" --max-age-ms 600000 >/dev/null 2>"$LG_TMP/err"; then
                bad=$((bad + 1))
                [ $bad -le 3 ] && "$B/tests/status-tool" read "$GUARDD_STATUS" --max-age-ms 600000 | head -3
        fi
done
touch "$LG_TMP/stop"
wait "$killer" 2>/dev/null
lg_assert_eq "$bad" 0 "$N reads during a kill -9 loop: no torn or partial status"
# The first guardd stops here: alive, it writes its own temporary file every
# round, which the sweep below rightly leaves alone (it was counted as a
# leftover when the check happened to look while that guardd wrote).
kill "$GUARDD_PID"
wait "$GUARDD_PID" 2>/dev/null
left=$(ls "$LG_TMP/run" | grep -c '\.tmp\.')
lg_log "$left temporary files left by killed writers"
# A dead writer's leftover (pid 4194304 is above the kernel's pid_max) and
# a live writer's file.
touch "$LG_TMP/run/status.tmp.4194304" "$LG_TMP/run/status.tmp.$$"
# guardd --once and check-config change nothing but the status itself.
timeout 10 "$B/guardd" --once --config "$LG_TMP/guardd.conf" >/dev/null
"$B/guardd" check-config --config "$LG_TMP/guardd.conf" >/dev/null
lg_check "guardd --once and check-config leave other files alone" test -e "$LG_TMP/run/status.tmp.4194304"
"$B/guardd" --config "$LG_TMP/guardd.conf" --foreground >>"$LG_TMP/guardd2.log" 2>&1 &
g=$!
lg_track "$g"
# Its own status, not the one --once left (which already says ROUNDS=1):
# by then it has swept.
lg_wait_status GUARDD_PID "$g" 10
lg_assert_eq "$(ls "$LG_TMP/run" | grep '\.tmp\.' | grep -v "\.tmp\.$g\$" | grep -vc "\.tmp\.$$\$")" 0 \
        "a starting guardd removes the temporary files of dead writers"
lg_check "a live writer's temporary file is left alone" test -e "$LG_TMP/run/status.tmp.$$"
lg_done
