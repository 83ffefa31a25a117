#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A login that stock pam_systemd completes is not broken by loginguard.
# On the real stack (systemd 252) with a slow user manager (drop-in
# ExecStartPre=/bin/sleep 3 on user@.service) and KillUserProcesses=yes,
# logind takes CreateSession at once (its session file names our process
# as LEADER) but answers only once user@ has started, past the 2 s
# deadline. Stock: the login succeeds after ~3.3 s. Wrapped, with the
# module alone and with guardd running: the module waits (patience), the
# ssh login of a normal user is registered, listed by loginctl, and still
# alive seconds later; the breaker counts nothing against logind; nothing
# is left behind.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
. "$LG_ROOT/tests/lib/realstack.sh"
rs_up bookworm
mkdir -p "$RS_ROOT/etc/systemd/system/user@.service.d" "$RS_ROOT/etc/systemd/logind.conf.d"
printf '[Service]\nExecStartPre=/bin/sleep 3\n' >"$RS_ROOT/etc/systemd/system/user@.service.d/slow.conf"
printf '[Login]\nKillUserProcesses=yes\n' >"$RS_ROOT/etc/systemd/logind.conf.d/kill.conf"
rs_exec systemctl daemon-reload
rs_exec systemctl restart systemd-logind
rs_pam_service stock "session optional pam_systemd.so" "session required pam_permit.so"

SHOW='echo "ID=${XDG_SESSION_ID:-} FB=${LOGINGUARD_FALLBACK:-}"; [ -z "${XDG_SESSION_ID:-}" ] || loginctl show-session "$XDG_SESSION_ID" -p State | tr "\n" " "; sleep 4; echo still-alive'
user_manager_down() { rs_exec systemctl stop user@1000.service user-runtime-dir@1000.service; }

# Stock, for the record: succeeds after the user manager's start.
user_manager_down
rs_driver stock 30 --user lguser --ops open,close
stock_ms=$(($(lg_kv "$OUT" open_usec) / 1000))
lg_assert_match "$OUT" '^env\.XDG_SESSION_ID=' "stock: the login completes registered"
lg_assert_ge "$stock_ms" 2500 "stock: open_session waits for user@ (ms)"
rs_settle 1
# The same ssh login with the user manager running: the baseline.
rs_ssh lguser "$SHOW"
lg_assert_match "$OUT" '^ID=[c0-9]+ FB=$' "healthy: the ssh login is registered"
base=$MS

slow_login() { # WHAT
        user_manager_down
        rs_ssh lguser "$SHOW"
        lg_assert_match "$OUT" '^ID=[c0-9]+ FB=$' "$1: the ssh login is registered (XDG_SESSION_ID)"
        lg_assert_match "$OUT" 'State=active' "$1: loginctl lists the session active"
        lg_assert_match "$OUT" 'still-alive' "$1: the login lives on (not killed under KillUserProcesses=yes)"
        lg_assert_nomatch "$OUT" 'closed by remote host' "$1: sshd was not disconnected"
        lg_assert_ge "$MS" 2500 "$1: the login waited for logind past the deadline (ms)"
        # user@'s start adds 3 s (ExecStartPre) to a login, and the module
        # may wait up to its patience (15 s); the slack is from a healthy
        # login of the same shape timed in this run.
        lg_assert_within "$MS" 9000 "$base" "$1: well within patience (ms)"
}
slow_login "module alone"
j=$(rs_exec journalctl -q --no-pager -t sshd -g 'pam_loginguard')
lg_assert_match "$j" 'pam_loginguard\(sshd:session\): pam_systemd pam_sm_open_session answered after [0-9]+ ms, past the deadline of 2000 ms: logind was completing the session; not cut' \
        "the wait is logged in pam_syslog's shape under sshd's name"
lg_assert_eq "$(rs_breaker STATE)" closed "the breaker stays closed"
lg_assert_eq "$(rs_breaker CUTS)" 0 "no cut counted"
lg_assert_eq "$(rs_breaker LATE)" 1 "the late call counted as late, not against logind"

rs_exec systemctl daemon-reload
rs_exec systemctl enable --now guardd.service >/dev/null 2>&1
lg_check "guardd running, status says allow" rs_wait_status LOGIN1_ACTION allow 10
slow_login "with guardd"
lg_assert_eq "$(rs_status_key LOGIN1_ACTION)" allow "guardd: logind was never skipped"

rs_settle 3
rs_assert_clean "after the slow logins"
lg_done
