#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `guardd status` as a command (the renderings themselves are compared with
# golden files in unit/test-output): exit codes 0 OK, 1 WARNING,
# 2 CRITICAL, 3 UNKNOWN for a missing, stale or rejected status; a stale
# status of a guardd that is gone versus one that is alive but stuck; JSON
# that parses, also for a hostile status; usage errors and --version the
# monitoring-plugin way.
. "$(dirname "$0")/../lib/harness.sh"
lg_setup
fix=$LG_ROOT/tests/fixtures
now() { "$B/tests/status-tool" write "$LG_TMP/clock" && sed -n 's/^WRITTEN_MONOTONIC_USEC=//p' "$LG_TMP/clock"; }

for state in ok warning critical hostile; do
        sed "s/@NOW@/$(now)/" "$fix/status/$state.status" >"$LG_TMP/$state.status"
        chmod 0644 "$LG_TMP/$state.status"
        case $state in ok) want=0 ;; warning) want=1 ;; *) want=2 ;; esac
        for mode in "" --json --nagios; do
                # shellcheck disable=SC2086
                "$B/guardd" status --status "$LG_TMP/$state.status" $mode >"$LG_TMP/$state.out$mode" 2>&1
                lg_assert_eq "$?" "$want" "$state status ${mode:-(human)}: exit code"
        done
        # Metrics printed are a success: the textfile idiom
        # (status --prometheus > f.tmp && mv f.tmp f.prom) must work in an incident.
        "$B/guardd" status --status "$LG_TMP/$state.status" --prometheus >"$LG_TMP/$state.out--prometheus" 2>&1
        lg_assert_eq "$?" 0 "$state status --prometheus: exit code 0 (the state is in the metrics)"
        lg_assert_match "$(cat "$LG_TMP/$state.out--prometheus")" '^loginguard_guardd_up 1$' "$state status --prometheus: metrics printed"
done
"$B/guardd" status --status "$LG_TMP/critical.status" --prometheus >"$LG_TMP/f.tmp" && mv "$LG_TMP/f.tmp" "$LG_TMP/f.prom"
lg_assert_match "$(cat "$LG_TMP/f.prom" 2>/dev/null)" '^loginguard_overall\{state="critical"\} 1$' \
        "critical: the textfile idiom (> f.tmp && mv) publishes the critical state"
out=$(head -n 1 "$LG_TMP/critical.out--nagios")
lg_assert_match "$out" '^LOGINGUARD CRITICAL - logind not answering for 14 s \(pid 812, 99% CPU, 19,763 sessions on disk\) \| ' \
        "nagios first line: LOGINGUARD <STATE> - <summary naming the culprit> | <perfdata>"
lg_assert_eq "$(grep -o '|' "$LG_TMP/hostile.out--nagios" | wc -l)" 1 "hostile summary: the Nagios line holds exactly one '|'"
for state in critical hostile; do
        lg_check "$state: json output parses (python json)" python3 -c "import json; d=json.load(open('$LG_TMP/$state.out--json')); assert d['exit_code'] == 2"
done
lg_check "json types: numbers stay numbers, names stay strings" python3 -c "
import json
d = json.load(open('$LG_TMP/hostile.out--json'))['status']
assert d['LOGIN1_QUEUE_TREND_BYTES_PER_S'] == -5
assert d['DEVLOG_READER_COMM'] == '1234'
assert d['LOGIN1_PING_USEC'] is None
c = json.load(open('$LG_TMP/critical.out--json'))['status']
assert c['LOGIN1_QUEUE_TREND_BYTES_PER_S'] == 5 and c['SESSIONS'] == 19763"

# UNKNOWN: missing.
"$B/guardd" status --status "$LG_TMP/nonexistent" >"$LG_TMP/out"
lg_assert_eq "$?" 3 "missing status: exit 3 (UNKNOWN)"
lg_assert_match "$(cat "$LG_TMP/out")" 'UNKNOWN - status .*nonexistent is missing: guardd is not running' "missing status: says guardd is not running"

# UNKNOWN: stale, and its guardd is gone (pid 4194304 is past pid_max).
"$B/tests/status-tool" write "$LG_TMP/stale.status" --age-ms 60000 OVERALL=ok SUMMARY=fine GUARDD_PID=4194304 INTERVAL_USEC=1000000
"$B/guardd" status --status "$LG_TMP/stale.status" --nagios >"$LG_TMP/out"
lg_assert_eq "$?" 3 "stale status: exit 3"
lg_assert_match "$(cat "$LG_TMP/out")" '^LOGINGUARD UNKNOWN - status .* is 60 s old: guardd is not running \(pid 4194304 gone\)' \
        "stale status, guardd gone: says so"
"$B/guardd" status --status "$LG_TMP/stale.status" --prometheus >"$LG_TMP/out"
lg_assert_match "$(cat "$LG_TMP/out")" '^loginguard_guardd_up 0$' "stale status: loginguard_guardd_up 0"

# UNKNOWN: stale, but its guardd is alive (stopped here): say so, with where it sleeps.
lg_start_bus
lg_start_logind
lg_guardd_conf status_path="$LG_TMP/run/status" max_age=500
lg_start_guardd
kill -STOP "$GUARDD_PID"
sleep 1.2
"$B/guardd" status --config "$LG_TMP/guardd.conf" >"$LG_TMP/out"
lg_assert_eq "$?" 3 "live guardd, stale status: exit 3"
lg_assert_match "$(cat "$LG_TMP/out")" "is [0-9.]+ (ms|s) old, but guardd \\(pid $GUARDD_PID\\) is alive: state T" \
        "live guardd, stale status: told apart from a dead one, with its state"
kill -CONT "$GUARDD_PID"

# Rejected files.
chmod 0666 "$LG_TMP/ok.status"
"$B/guardd" status --status "$LG_TMP/ok.status" >"$LG_TMP/out"
lg_assert_eq "$?" 3 "world-writable status: rejected, exit 3"
lg_assert_match "$(cat "$LG_TMP/out")" 'writable by group or others' "world-writable status: says why"
printf 'FORMAT=1\nnonsense\n' >"$LG_TMP/bad.status"
"$B/guardd" status --status "$LG_TMP/bad.status" >"$LG_TMP/out"
lg_assert_eq "$?" 3 "corrupt status: exit 3"

# The plugin's conventions: usage errors exit 3 with one line; --version.
"$B/guardd" status --nagios --no-such-option >"$LG_TMP/out" 2>"$LG_TMP/err"
lg_assert_eq "$?" 3 "status usage error: exit 3 (UNKNOWN), not 2"
lg_assert_eq "$(cat "$LG_TMP/out" "$LG_TMP/err" | wc -l)" 1 "status usage error: exactly one line"
lg_assert_match "$(cat "$LG_TMP/out")" "^LOGINGUARD UNKNOWN - usage: unknown or incomplete option '--no-such-option'" "status usage error: says which option"
"$B/guardd" --no-such-option 2>/dev/null
lg_assert_eq "$?" 2 "daemon usage error: exit 2"
lg_assert_match "$("$B/guardd" --version)" '^guardd \(loginguard\) [0-9]+\.[0-9]+\.[0-9]+$' "guardd --version"
lg_done
