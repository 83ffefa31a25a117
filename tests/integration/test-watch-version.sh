#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A module and a guardd of different releases (the window of an upgrade or
# a downgrade): guardd's watch table is not of the module's version. Every
# login falls back to its own thread (same deadline, same cut, same
# fallback) and the mismatch is logged once per boot, not once per login;
# a missing status file likewise. The table's version word is changed in
# place under a running guardd, as a guardd of another release would have
# written it.
# Then another process (a second guardd with the same state_dir) holds the
# lock on the table that tells logins who guardd is: the next guardd does
# not watch (WATCHDOG=thread, saying why), and logins use their own thread.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_login_stack
lg_guardd_conf
lg_start_guardd
lg_wait_status WATCHDOG guardd 10 || lg_fail "guardd watches"
devlog=$LG_TMP/devlog.sock
lg_start_devlog "$devlog"
: >"$LG_TMP/empty.conf"
deadline=1000
lg_service login "$(lg_module_line optional "conf=$LG_TMP/empty.conf state_dir=$LG_TMP/state status=$GUARDD_STATUS devlog_path=$devlog deadline=$deadline trip=64" wrap="$PAM_SYSTEMD")" \
        "session required pam_permit.so"
out=$(lg_driver login)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "healthy: registered"
base=$(($(lg_kv "$out" open_usec) / 1000))

# The version word (after the 8-byte magic) of another release.
printf '\143\000\000\000' | dd of="$LG_TMP/state/watch" bs=1 seek=8 conv=notrunc status=none
lg_freeze "$LOGIND_PID"
# Not while guardd says skip: the call must reach the deadline.
kill -STOP "$GUARDD_PID"
rm -f "$GUARDD_STATUS"
for i in 1 2 3 4 5; do
        out=$(lg_driver login --ops open)
        lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" deadline "login $i (its own process): cut at the deadline by its own thread"
        lg_assert_within "$(($(lg_kv "$out" open_usec) / 1000))" "$deadline" "$base" "login $i: within the deadline (ms)"
done
kill -CONT "$GUARDD_PID"
lg_thaw "$LOGIND_PID"
lg_until 5 grep -q 'said once per boot' "$LG_TMP/devlog.rec"
sleep 0.5
lg_assert_eq "$(grep -c 'Watch file' "$LG_TMP/devlog.rec")" 1 "five logins, one line about the watch table"
lg_assert_match "$(grep 'Watch file' "$LG_TMP/devlog.rec")" "is not of this module's version" "... saying why"
lg_assert_eq "$(grep -c "Status file .* missing" "$LG_TMP/devlog.rec")" 1 "and one about the missing status file"
lg_check "the marker remembers it for this boot" test -s "$LG_TMP/state/.watch-unusable"

# --- the table's lock held by another process
stop_guardd() {
        kill "$GUARDD_PID"
        lg_until 10 sh -c "! kill -0 $GUARDD_PID 2>/dev/null" || lg_fail "guardd exits on SIGTERM"
}
stop_guardd
lg_start_guardd # makes a table of its version again
lg_check "a guardd of this release watches again" lg_wait_status WATCHDOG guardd 10
stop_guardd
"$B/tests/status-tool" watch-lock "$LG_TMP/state/watch" >"$LG_TMP/lock.out" 2>&1 &
lg_track $!
lg_check "another process holds the table's lock" lg_until 5 grep -q locked "$LG_TMP/lock.out"
lg_start_guardd
lg_check "guardd does not watch" lg_wait_status WATCHDOG thread 10
lg_assert_eq "$(lg_status_key WATCHDOG_REASON)" "watch table locked by another process" "... and says why"
lg_check "guardd logged it" grep -q "Cannot lock '.*/watch'" "$LG_TMP/guardd.log"
lg_freeze "$LOGIND_PID"
out=$(lg_driver login --ops open)
lg_thaw "$LOGIND_PID"
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" deadline "a login is cut at the deadline by its own thread"
lg_assert_within "$(($(lg_kv "$out" open_usec) / 1000))" "$deadline" "$base" "... within the deadline (ms)"
lg_done
