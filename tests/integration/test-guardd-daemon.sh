#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# guardd as a service: sd_notify READY/WATCHDOG/STATUS, the Prometheus
# textfile, alert_command on OVERALL changes, SIGHUP reload, SIGTERM exit,
# --once; and never a stall: a frozen logind and a frozen bus do not
# delay the status writes.
. "$(dirname "$0")/../lib/harness.sh"
lg_setup
lg_start_bus
lg_start_logind
notify=$LG_TMP/notify.sock
"$B/tests/devlog-double" --path "$notify" --record "$LG_TMP/notify.rec" --ready "$LG_TMP/notify.ready" &
lg_track $!
lg_wait_for "$LG_TMP/notify.ready"
cat >"$LG_TMP/alert.sh" <<'SH'
#!/bin/sh
echo "$LOGINGUARD_OVERALL|$LOGINGUARD_SUMMARY" >>"$ALERT_LOG"
SH
chmod +x "$LG_TMP/alert.sh"
export ALERT_LOG=$LG_TMP/alerts.log
LG_INTERVAL_MS=200 LG_PROBE_TIMEOUT_MS=200
lg_guardd_conf metrics_path="$LG_TMP/run/loginguard.prom" alert_command="$LG_TMP/alert.sh" alert_cooldown_s=0
NOTIFY_SOCKET=$notify lg_start_guardd
lg_check "healthy" lg_wait_status OVERALL ok 5
notified() { grep -q 'STATUS=ok: logind answers' "$LG_TMP/notify.rec" && grep -q 'WATCHDOG=1' "$LG_TMP/notify.rec"; }
lg_until 10 notified
rec=$(cat "$LG_TMP/notify.rec")
lg_assert_match "$rec" 'READY=1' "sd_notify READY=1 sent"
lg_assert_match "$rec" 'WATCHDOG=1' "sd_notify WATCHDOG=1 sent"
lg_assert_match "$rec" 'STATUS=ok: logind answers' "sd_notify STATUS carries the summary"
lg_assert_eq "$(grep -c READY=1 "$LG_TMP/notify.rec")" 1 "READY=1 sent once"

prom=$(cat "$LG_TMP/run/loginguard.prom")
lg_assert_match "$prom" '^loginguard_guardd_up 1$' "metrics textfile: loginguard_guardd_up 1"
lg_assert_match "$prom" '^loginguard_guardd_last_update_timestamp_seconds [0-9]+\.[0-9]+$' "metrics textfile: last update timestamp"
lg_assert_match "$prom" '^loginguard_login1_state\{state="ok"\} 1$' "metrics textfile: login1 state"
lg_assert_match "$prom" '^# TYPE loginguard_fallbacks_total counter$' "metrics textfile: TYPE lines"
if command -v promtool >/dev/null; then
        lg_check "promtool check metrics accepts the textfile" sh -c "promtool check metrics <'$LG_TMP/run/loginguard.prom'"
fi

# alert_command on OVERALL change, with the environment.
lg_freeze "$LOGIND_PID"
lg_check "frozen: critical" lg_wait_status OVERALL critical 5
alerted() { grep -Eq "$1" "$ALERT_LOG" 2>/dev/null; }
lg_check "alert_command ran with LOGINGUARD_OVERALL and LOGINGUARD_SUMMARY" lg_until 10 alerted '^critical\|logind not answering'

# A frozen logind never delays status writes: each interval a new status.
w1=$(lg_status_key WRITTEN_MONOTONIC_USEC)
advanced() { [ "$(lg_status_key WRITTEN_MONOTONIC_USEC)" -ge $((w1 + 600000)) ] 2>/dev/null; }
lg_check "frozen logind: status still rewritten (600 ms on within 5 s)" lg_until 5 advanced
lg_thaw "$LOGIND_PID"
lg_check "recovered: ok" lg_wait_status OVERALL ok 10
last_alert_ok() { tail -n 1 "$ALERT_LOG" | grep -q '^ok|'; }
lg_check "alert_command ran again on recovery" lg_until 10 last_alert_ok

# SIGHUP: new settings without a restart (login1_slow_ms 1 -> slow).
echo "login1_slow_ms = 1us" >>"$LG_TMP/guardd.conf"
sed -i 's/^login1_slow_ms = 1us$/login1_slow_ms = 1/' "$LG_TMP/guardd.conf"
kill -HUP "$GUARDD_PID"
"$B/tests/logind-double" --help >/dev/null 2>&1
kill "$LOGIND_PID"; wait "$LOGIND_PID" 2>/dev/null
lg_start_logind --delay-ms 20
lg_check "after SIGHUP: login1_slow_ms=1 makes a 20 ms logind slow" lg_wait_status LOGIN1 slow 5
lg_assert_match "$(cat "$LG_TMP/guardd.log")" 'Reloaded the configuration' "SIGHUP reload logged"
printf 'bogus = 1\n' >>"$LG_TMP/guardd.conf"
kill -HUP "$GUARDD_PID"
lg_check "bad reload names file:line" lg_until 10 grep -Eq "guardd.conf:[0-9]+: unknown key 'bogus'" "$LG_TMP/guardd.log"
lg_check "a bad config on SIGHUP keeps guardd running" kill -0 "$GUARDD_PID"
sed -i '/^bogus/d' "$LG_TMP/guardd.conf"

# SIGTERM: clean exit, quickly.
kill -TERM "$GUARDD_PID"
for _ in $(seq 1 40); do kill -0 "$GUARDD_PID" 2>/dev/null || break; sleep 0.05; done
wait "$GUARDD_PID"; rc=$?
lg_assert_eq "$rc" 0 "SIGTERM: exit 0"

# --once: one round, the status written and printed, exit code by verdict.
rm -f "$GUARDD_STATUS"
out=$(timeout 10 "$B/guardd" --once --config "$LG_TMP/guardd.conf"); rc=$?
lg_check "--once wrote the status" test -s "$GUARDD_STATUS"
lg_assert_match "$out" '^loginguard: (OK|WARNING) - ' "--once printed the verdict"
lg_assert_le "$rc" 1 "--once exit code 0 or 1 on a healthy/slow logind"
lg_freeze "$LOGIND_PID"
out=$(timeout 10 "$B/guardd" --once --config "$LG_TMP/guardd.conf" --nagios); rc=$?
lg_assert_eq "$rc" 2 "--once on a frozen logind: exit 2 within its deadline"
lg_assert_match "$out" '^LOGINGUARD CRITICAL - logind not answering' "--once --nagios names logind"
lg_thaw "$LOGIND_PID"
lg_done
