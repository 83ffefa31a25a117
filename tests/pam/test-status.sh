#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# guardd's status decides skips: a fresh LOGIN1_ACTION=skip skips without
# touching the bus; a stale, symlinked, wrong-owner, mode 0666, oversize,
# FIFO or corrupt status is ignored and the login goes through normally.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_login_stack
: >"$LG_TMP/empty.conf"
st=$LG_TMP/run/status
mkdir -p "$LG_TMP/run"
# A deadline well above a healthy call's time on a loaded machine: the
# checks that a bad status is ignored need the healthy call to complete.
opts="conf=$LG_TMP/empty.conf state_dir=$LG_TMP/state status=$st deadline=3000 trip=50"
lg_service guarded "$(lg_module_line optional "$opts" wrap="$PAM_SYSTEMD")" "session required pam_permit.so"
login() { lg_driver guarded "$@"; }
creates() { grep -c '^CreateSession' "$LG_TMP/logind.log"; }
write_status() { "$B/tests/status-tool" write "$st" "$@"; }

write_status LOGIN1=stuck LOGIN1_ACTION=skip DEVLOG=ok
before=$(creates)
out=$(login)
lg_assert_match "$out" '^env\.LOGINGUARD_FALLBACK=status$' "fresh skip status: wrapped module skipped"
lg_assert_eq "$(creates)" "$before" "fresh skip status: logind was not contacted"
lg_assert_match "$out" 'msg\.info=.*guardd reports LOGIN1 stuck' "the user is told why"
skip_ms=$(($(lg_kv "$out" open_usec) / 1000))

write_status LOGIN1=ok LOGIN1_ACTION=allow
out=$(login)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "fresh allow status: login registered"
lg_assert_within "$skip_ms" 0 "$(($(lg_kv "$out" open_usec) / 1000))" "status skip is immediate, no deadline wait (ms)"

# Each bad status is ignored: the login reaches logind and registers.
expect_ignored() { # WHAT
        local before out
        before=$(creates)
        out=$(login)
        if printf '%s\n' "$out" | grep -q '^env\.XDG_SESSION_ID=' && [ "$(creates)" -gt "$before" ]; then
                lg_ok "$1: ignored, login registered"
        else
                lg_fail "$1: not ignored"
                printf '%s\n' "$out" | sed 's/^/#   /'
        fi
}
write_status --age-ms 60000 LOGIN1=stuck LOGIN1_ACTION=skip
expect_ignored "stale status (60 s old, max_age 5 s)"

write_status LOGIN1=stuck LOGIN1_ACTION=skip
mv "$st" "$st.real"; ln -s "$st.real" "$st"
expect_ignored "symlinked status"
rm -f "$st"; mv "$st.real" "$st"

chown 65534 "$st"
expect_ignored "status owned by nobody"
chown 0 "$st"; chmod 0666 "$st"
expect_ignored "status with mode 0666"
chmod 0644 "$st"

{ cat "$st"; head -c 20000 /dev/zero | tr '\0' 'x' | sed 's/^/PAD=/'; echo; } >"$st.big"
mv "$st.big" "$st"
expect_ignored "oversize status (> 16 KiB)"

write_status LOGIN1=stuck LOGIN1_ACTION=skip
sed -i '1s/.*/FORMAT=2/' "$st"
expect_ignored "unknown FORMAT"

write_status LOGIN1=stuck LOGIN1_ACTION=skip
printf 'this is not a status line\n' >>"$st"
expect_ignored "corrupt status line"

write_status LOGIN1=stuck LOGIN1_ACTION=skip
truncate -s -1 "$st"
expect_ignored "truncated status"

rm -f "$st"; mkfifo "$st"
expect_ignored "FIFO at the status path (must not block)"
rm -f "$st"
expect_ignored "missing status"

# DEVLOG full: the module's logger stays silent. With a /dev/log double
# that reads, messages would arrive; here none may.
devlog=$LG_TMP/devlog.sock
lg_start_devlog "$devlog"
lg_service logged "$(lg_module_line optional "$opts" devlog_path=$devlog debug wrap="$PAM_SYSTEMD")"
rec_has() { grep -Eq -- "$1" "$LG_TMP/devlog.rec" 2>/dev/null; }
rec_lines() { wc -l <"$LG_TMP/devlog.rec" 2>/dev/null || echo 0; }
write_status LOGIN1=stuck LOGIN1_ACTION=skip DEVLOG=ok
lg_driver logged >/dev/null
skipped_re='^<84>pam-driver\[[0-9]+\]: pam_loginguard\(logged:session\): pam_systemd pam_sm_open_session skipped \(status\)'
lg_until 10 rec_has "$skipped_re"
lg_assert_match "$(cat "$LG_TMP/devlog.rec")" "$skipped_re" \
        "module logs through the non-blocking sender, in pam_syslog's shape under the program's name"
write_status LOGIN1=ok LOGIN1_ACTION=allow DEVLOG=ok
lg_driver logged >/dev/null
version=$(sed -n 's/^VERSION := //p' "$LG_ROOT/Makefile")
answered_re="<.*>pam-driver\[[0-9]+\]: pam_loginguard\(logged:session\): pam_systemd pam_sm_open_session answered 0 after [0-9]+ us .*\(loginguard ${version//./\\.}\)\.\$"
lg_until 10 rec_has "$answered_re"
lg_assert_match "$(cat "$LG_TMP/devlog.rec")" "$answered_re" \
        "debug: a line per call with the outcome, the duration and the version"
# Silence is shown against a marker: a silent login, then one that logs;
# datagrams arrive in order, so once the marker is recorded, whatever the
# silent login sent would be recorded before it.
n=$(rec_lines)
write_status LOGIN1=stuck LOGIN1_ACTION=skip DEVLOG=stuck
lg_driver logged --ops open >/dev/null
write_status LOGIN1=ok LOGIN1_ACTION=allow DEVLOG=ok
lg_driver logged --ops open >/dev/null
lg_until 10 test "$(rec_lines)" -gt "$n"
new=$(tail -n +"$((n + 1))" "$LG_TMP/devlog.rec")
lg_assert_eq "$(printf '%s\n' "$new" | grep -c 'pam_loginguard')" 1 "DEVLOG=stuck: the module logged nothing (only the marker login after it)"
lg_assert_match "$new" "pam_sm_open_session answered 0 after" "the marker is the login after it"

# devlog_path= applies to every message about the arguments, wherever it
# stands: a rejected trip= (range 1-64) before it is logged there too, and
# so is a rejected key of the config file, not at the default /dev/log.
printf 'no_such_key = 1\n' >"$LG_TMP/bad.conf"
lg_service early "$(lg_module_line optional "conf=$LG_TMP/bad.conf ${opts#conf=* }" trip=1000 devlog_path=$devlog wrap="$PAM_SYSTEMD")"
lg_driver early --ops open >/dev/null
lg_check "a bad argument before devlog_path= is logged at devlog_path" \
        lg_until 10 rec_has "pam_loginguard\\(early:session\\): Option 'trip=1000': .*ignoring"
lg_check "so is a bad line of the config file" lg_until 10 rec_has "pam_loginguard\\(early:session\\): .*bad\\.conf.*no_such_key"

# A stopped /dev/log reader never blocks the module: fill its queue first
# (until loggers are seen blocked on it, however long they take to start).
lg_freeze "$DEVLOG_PID"
for _ in $(seq 1 600); do logger --socket-errors=off -u "$devlog" -d "filler" 2>/dev/null & done 2>/dev/null
blocked() {
        local p
        for p in $(pgrep -x logger); do
                [ "$(cat "/proc/$p/wchan" 2>/dev/null)" = unix_wait_for_peer ] && return 0
        done
        return 1
}
lg_check "the reader's queue is full (a logger is blocked on it)" lg_until 30 blocked
write_status LOGIN1=ok LOGIN1_ACTION=allow DEVLOG=ok
out=$(lg_driver logged)
base=$(($(lg_kv "$out" open_usec) / 1000))
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "stopped /dev/log reader: the healthy login is not held"
lg_freeze "$LOGIND_PID"
out=$(lg_driver logged)
lg_assert_within "$(($(lg_kv "$out" open_usec) / 1000))" 3000 "$base" "stopped /dev/log reader and frozen logind: cut at the deadline (ms)"
lg_thaw "$LOGIND_PID"
lg_thaw "$DEVLOG_PID"
lg_done
