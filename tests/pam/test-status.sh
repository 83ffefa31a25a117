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
opts="conf=$LG_TMP/empty.conf state_dir=$LG_TMP/state status=$st deadline=1000 trip=50"
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
lg_assert_le "$(lg_kv "$out" open_usec)" 100000 "status skip is immediate (generous 100 ms bound)"

write_status LOGIN1=ok LOGIN1_ACTION=allow
out=$(login)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "fresh allow status: login registered"

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
write_status LOGIN1=stuck LOGIN1_ACTION=skip DEVLOG=ok
lg_driver logged >/dev/null
sleep 0.2
lg_assert_match "$(cat "$LG_TMP/devlog.rec")" '^<84>pam-driver\[[0-9]+\]: pam_loginguard\(logged:session\): pam_systemd pam_sm_open_session skipped \(status\)' \
        "module logs through the non-blocking sender, in pam_syslog's shape under the program's name"
write_status LOGIN1=ok LOGIN1_ACTION=allow DEVLOG=ok
lg_driver logged >/dev/null
sleep 0.2
version=$(sed -n 's/^VERSION := //p' "$LG_ROOT/Makefile")
lg_assert_match "$(cat "$LG_TMP/devlog.rec")" "<.*>pam-driver\[[0-9]+\]: pam_loginguard\(logged:session\): pam_systemd pam_sm_open_session answered 0 after [0-9]+ us .*\(loginguard ${version//./\\.}\)\.\$" \
        "debug: a line per call with the outcome, the duration and the version"
n=$(wc -l <"$LG_TMP/devlog.rec")
write_status LOGIN1=stuck LOGIN1_ACTION=skip DEVLOG=stuck
lg_driver logged >/dev/null
sleep 0.2
lg_assert_eq "$(wc -l <"$LG_TMP/devlog.rec")" "$n" "DEVLOG=stuck: the module logs nothing"

# A stopped /dev/log reader never blocks the module: fill its queue first.
lg_freeze "$DEVLOG_PID"
for _ in $(seq 1 600); do logger --socket-errors=off -u "$devlog" -d "filler" 2>/dev/null & done 2>/dev/null
sleep 0.5
write_status LOGIN1=ok LOGIN1_ACTION=allow DEVLOG=ok
lg_freeze "$LOGIND_PID"
out=$(lg_driver logged)
lg_assert_le "$(($(lg_kv "$out" open_usec) / 1000))" 1250 "stopped /dev/log reader and frozen logind: still within deadline + 250 ms"
lg_thaw "$LOGIND_PID"
lg_thaw "$DEVLOG_PID"
lg_done
