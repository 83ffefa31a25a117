#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# guardd on a private dbus-daemon with the logind double: healthy, frozen
# (stuck + skip within 2 intervals + timeout), thawed (allow again at the
# first healthy round: nobody waits for a logind that answers), slow, absent; dbus-daemon frozen (stuck, status still
# rewritten every interval), killed (down) and restarted (ok again without
# restarting guardd); a flooded queue trips the threshold.
. "$(dirname "$0")/../lib/harness.sh"
lg_setup
lg_start_bus
lg_start_logind
LG_INTERVAL_MS=200 LG_PROBE_TIMEOUT_MS=200
lg_guardd_conf queue_skip_bytes=2000000 login1_slow_ms=100
lg_start_guardd

lg_check "healthy: LOGIN1=ok" lg_wait_status LOGIN1 ok 5
lg_assert_eq "$(lg_status_key BUS)" ok "healthy: BUS=ok"
lg_assert_eq "$(lg_status_key LOGIN1_ACTION)" allow "healthy: LOGIN1_ACTION=allow"
lg_assert_eq "$(lg_status_key OVERALL)" ok "healthy: OVERALL=ok"
lg_assert_eq "$(lg_status_key LOGIN1_PID)" "$LOGIND_PID" "LOGIN1_PID is the double's pid"
lg_assert_eq "$(lg_status_key BUS_PID)" "$BUS_PID" "BUS_PID is the dbus-daemon's pid"
lg_assert_match "$(lg_status_key LOGIN1_PING_USEC)" '^[0-9]+$' "LOGIN1_PING_USEC is a number"
lg_assert_match "$(lg_status_key LOGIN1_QUEUED_BYTES)" '^[0-9]+$' "bus statistics available: LOGIN1_QUEUED_BYTES is a number"

# Frozen logind: stuck and skip within 2 intervals + probe timeout, plus a
# slack: at least the old generous 3x, more when this run's healthy rounds
# were slow (GUARDD_ROUND_USEC: the machine, not the probe).
round_ms=$(($(lg_status_key GUARDD_ROUND_USEC) / 1000))
lg_freeze "$LOGIND_PID"
t0=$(date +%s%N)
lg_check "frozen: LOGIN1=stuck" lg_wait_status LOGIN1 stuck 5
ms=$((($(date +%s%N) - t0) / 1000000))
LG_SLACK_MIN_MS=1200 lg_assert_within "$ms" $((2 * 200 + 200)) "$round_ms" "frozen: detected within 2 intervals + timeout (ms)"
lg_assert_eq "$(lg_status_key LOGIN1_ACTION)" skip "frozen: LOGIN1_ACTION=skip"
lg_assert_eq "$(lg_status_key OVERALL)" critical "frozen: OVERALL=critical"
lg_assert_match "$(lg_status_key SUMMARY)" "^logind not answering for .* \\(pid $LOGIND_PID, " "frozen: SUMMARY names logind and its pid"
lg_assert_eq "$(lg_status_key LOGIN1_PING_USEC)" "" "frozen: LOGIN1_PING_USEC empty"

# Thawed: ok, and allowed in the same round (the hysteresis is for flaps,
# tested in unit/test-verdict).
lg_thaw "$LOGIND_PID"
lg_check "thawed: LOGIN1=ok" lg_wait_status LOGIN1 ok 5
lg_assert_eq "$(lg_status_key LOGIN1_ACTION)" allow "thawed: allowed at the first healthy round"

# Flood: frozen double, a client queues ~4 MB for it.
lg_freeze "$LOGIND_PID"
"$B/tests/bus-flood" --count 1000 --size 4000 >/dev/null 2>&1
lg_check "flooded: queue past the threshold reported" lg_wait_status OVERALL critical 15
lg_check "flooded: LOGIN1_QUEUED_BYTES grows past 2 MB (dbus-daemon holds it for logind)" \
        lg_wait_status_ge LOGIN1_QUEUED_BYTES 2000000 15
lg_assert_match "$(cat "$GUARDD_STATUS")" 'SUMMARY=.*(bus holds .* for logind|logind not answering)' "flooded: SUMMARY names the culprit"
lg_thaw "$LOGIND_PID"
lg_check "flood drained: back to allow" lg_wait_status LOGIN1_ACTION allow 10

# Slow logind.
kill "$LOGIND_PID"; wait "$LOGIND_PID" 2>/dev/null
lg_check "double gone: LOGIN1=absent" lg_wait_status LOGIN1 absent 5
lg_assert_eq "$(lg_status_key LOGIN1_ACTION)" skip "absent: LOGIN1_ACTION=skip"
lg_start_logind --delay-ms 150
lg_check "delayed double: LOGIN1=slow" lg_wait_status LOGIN1 slow 5
lg_assert_eq "$(lg_status_key OVERALL)" warning "slow: OVERALL=warning"
lg_assert_ge "$(lg_status_key LOGIN1_RESTARTS)" 1 "new logind pid counted as a restart"
kill "$LOGIND_PID"; wait "$LOGIND_PID" 2>/dev/null
lg_start_logind

# Frozen dbus-daemon: BUS=stuck, and the status keeps being rewritten.
lg_check "before bus freeze: ok" lg_wait_logind_allowed 5
lg_freeze "$BUS_PID"
lg_check "frozen bus: BUS=stuck" lg_wait_status BUS stuck 5
w1=$(lg_status_key WRITTEN_MONOTONIC_USEC)
advanced() { [ "$(lg_status_key WRITTEN_MONOTONIC_USEC)" -ge $((w1 + 600000)) ] 2>/dev/null; }
lg_check "frozen bus: status still rewritten (600 ms on within 5 s)" lg_until 5 advanced
lg_assert_eq "$(lg_status_key LOGIN1_ACTION)" skip "frozen bus: LOGIN1_ACTION=skip"
lg_assert_match "$(lg_status_key SUMMARY)" "^dbus-daemon not answering for .*pid $BUS_PID" "frozen bus: SUMMARY names dbus-daemon"
# After 10 stuck rounds guardd drops the connection and connects again; the
# frozen daemon's socket takes the connection and never answers: still
# stuck, not "down: cannot connect".
lg_check "frozen bus: guardd drops the stuck connection" \
        lg_until 20 grep -q 'Bus stuck for 10 rounds, dropping the connection' "$LG_TMP/guardd.log"
w1=$(lg_status_key WRITTEN_MONOTONIC_USEC)
lg_until 10 advanced
lg_assert_eq "$(lg_status_key BUS)" stuck "frozen bus, after the reconnect: BUS=stuck"
lg_assert_match "$(lg_status_key SUMMARY)" "^dbus-daemon not answering for .*pid $BUS_PID" "frozen bus, after the reconnect: still named as not answering"
lg_assert_nomatch "$(cat "$LG_TMP/guardd.log")" 'system bus down' "frozen bus: never called down"
lg_thaw "$BUS_PID"
lg_check "thawed bus: BUS=ok" lg_wait_status BUS ok 5

# Killed dbus-daemon: down; a new one on the same socket: ok, same guardd.
kill -KILL "$BUS_PID"; wait "$BUS_PID" 2>/dev/null
rm -f "$BUS_SOCKET"
lg_check "killed bus: BUS=down" lg_wait_status BUS down 5
lg_assert_eq "$(lg_status_key LOGIN1_ACTION)" skip "bus down: LOGIN1_ACTION=skip"
lg_start_bus "$BUS_SOCKET"
kill "$LOGIND_PID" 2>/dev/null; wait "$LOGIND_PID" 2>/dev/null
lg_start_logind
lg_check "restarted bus: BUS=ok again" lg_wait_status BUS ok 15
lg_check "restarted bus: LOGIN1=ok again" lg_wait_status LOGIN1 ok 10
lg_check "guardd never restarted" kill -0 "$GUARDD_PID"
lg_assert_eq "$(lg_status_key GUARDD_PID)" "$GUARDD_PID" "status still written by the same guardd"
lg_done
