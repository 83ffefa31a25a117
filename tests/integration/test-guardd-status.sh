#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `guardd status` in every mode against fixed status files, compared with
# golden outputs (tests/fixtures/golden; UPDATE_GOLDEN=1 rewrites them),
# and its exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN for a
# missing, stale or rejected status.
. "$(dirname "$0")/../lib/harness.sh"
lg_setup
fix=$LG_ROOT/tests/fixtures
now() { "$B/tests/status-tool" write "$LG_TMP/clock" && sed -n 's/^WRITTEN_MONOTONIC_USEC=//p' "$LG_TMP/clock"; }
# Ages vary from run to run: normalise them before comparing.
normalise() {
        sed -E -e 's/written [0-9.]+ (us|ms|s) ago/written N ago/' -e 's/"age_seconds":[0-9.]+/"age_seconds":N/' \
                -e 's/"WRITTEN_MONOTONIC_USEC":[0-9]+/"WRITTEN_MONOTONIC_USEC":N/' -e "s#$LG_TMP#TMP#g"
}

for state in ok warning critical; do
        sed "s/@NOW@/$(now)/" "$fix/status/$state.status" >"$LG_TMP/$state.status"
        chmod 0644 "$LG_TMP/$state.status"
        for mode in human json nagios prometheus; do
                flag=""
                [ "$mode" != human ] && flag="--$mode"
                # shellcheck disable=SC2086
                "$B/guardd" status --status "$LG_TMP/$state.status" $flag >"$LG_TMP/out" 2>&1
                rc=$?
                cp "$LG_TMP/out" "$LG_TMP/$state.$mode.raw"
                normalise <"$LG_TMP/out" >"$LG_TMP/$state.$mode"
                golden=$fix/golden/$state.$mode
                if [ -n "${UPDATE_GOLDEN:-}" ]; then cp "$LG_TMP/$state.$mode" "$golden"; fi
                if diff -u "$golden" "$LG_TMP/$state.$mode" >"$LG_TMP/diff"; then
                        lg_ok "$state status, $mode output matches $golden"
                else
                        lg_fail "$state status, $mode output differs from $golden"
                        sed 's/^/#   /' "$LG_TMP/diff" | head -30
                fi
                case $state in ok) want=0 ;; warning) want=1 ;; critical) want=2 ;; esac
                lg_assert_eq "$rc" "$want" "$state status, $mode: exit code"
        done
done

out=$("$B/guardd" status --status "$LG_TMP/critical.status" --nagios)
lg_assert_match "$(printf '%s\n' "$out" | head -n 1)" '^LOGINGUARD CRITICAL - logind not answering for 14 s \(pid 812, 99% CPU, 19,763 sessions on disk\) \| ' \
        "nagios first line: LOGINGUARD <STATE> - <summary naming the culprit> | <perfdata>"
if command -v python3 >/dev/null; then
        lg_check "json output parses" python3 -c "import json,sys; d=json.load(open('$LG_TMP/critical.json.raw')); assert d['exit_code']==2 and d['status']['LOGIN1']=='stuck' and d['status']['SESSIONS']==19763"
fi

# UNKNOWN: missing, stale, rejected.
"$B/guardd" status --status "$LG_TMP/nonexistent" >"$LG_TMP/out"; rc=$?
lg_assert_eq "$rc" 3 "missing status: exit 3 (UNKNOWN)"
lg_assert_match "$(cat "$LG_TMP/out")" 'UNKNOWN - status .*nonexistent is missing: guardd is not running' "missing status: says guardd is not running"
"$B/tests/status-tool" write "$LG_TMP/stale.status" --age-ms 60000 OVERALL=ok SUMMARY=fine GUARDD_PID=777 INTERVAL_USEC=1000000
"$B/guardd" status --status "$LG_TMP/stale.status" --nagios >"$LG_TMP/out"; rc=$?
lg_assert_eq "$rc" 3 "stale status: exit 3"
lg_assert_match "$(cat "$LG_TMP/out")" '^LOGINGUARD UNKNOWN - status .* is 60 s old: guardd is not running \(last pid 777\)' "stale status: says how old and the last pid"
"$B/guardd" status --status "$LG_TMP/stale.status" --prometheus >"$LG_TMP/out"
lg_assert_match "$(cat "$LG_TMP/out")" '^guardd_up 0$' "stale status: guardd_up 0"
chmod 0666 "$LG_TMP/ok.status"
"$B/guardd" status --status "$LG_TMP/ok.status" >"$LG_TMP/out"; rc=$?
lg_assert_eq "$rc" 3 "world-writable status: rejected, exit 3"
lg_assert_match "$(cat "$LG_TMP/out")" 'writable by group or others' "world-writable status: says why"
printf 'FORMAT=1\nnonsense\n' >"$LG_TMP/bad.status"
"$B/guardd" status --status "$LG_TMP/bad.status" >"$LG_TMP/out"; rc=$?
lg_assert_eq "$rc" 3 "corrupt status: exit 3"
lg_done
