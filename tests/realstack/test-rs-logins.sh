#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# On the real stack (Debian 12: systemd 252 as PID 1, its logind, dbus-daemon
# and sshd in systemd-nspawn), loginguard installed with make install
# DESTDIR= and common-session changed by `loginguard-pam enable`, the
# module alone (no guardd):
#   healthy: real ssh logins of root and of a normal user are registered
#     (XDG_SESSION_ID, loginctl shows them active);
#   logind frozen (SIGSTOP): stock pam_systemd still blocked at a 5 s cap;
#     the wrapped call cut at the deadline (plus a slack from the healthy
#     call's time in this run: lg_assert_within); the second cut opens
#     the breaker and later logins skip in milliseconds;
#   dbus-daemon frozen: the same;
#   after each thaw: no leftover session, no abandoned or failed scope, the
#     system not degraded.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
. "$LG_ROOT/tests/lib/realstack.sh"
rs_boot bookworm
rs_install
DEADLINE=2000
CAP=5

out=$(rs_exec loginguard-pam enable 2>&1)
lg_assert_match "$out" 'common-session: wrapped|pam-auth-update --disable systemd --enable loginguard: done' \
        "loginguard-pam enable wrapped common-session (through pam-auth-update on Debian)"
lg_assert_match "$(cat "$(rs_path /etc/pam.d/common-session)")" \
        '^session[[:space:]]+optional[[:space:]]+pam_loginguard\.so wrap=pam_systemd\.so' \
        "common-session carries the wrapped pam_systemd line"
rs_pam_service stock "session optional pam_systemd.so" "session required pam_permit.so"
rs_pam_service wrapped "session optional pam_loginguard.so deadline=$DEADLINE trip=2 wrap=pam_systemd.so" \
        "session required pam_permit.so"

SHOW='echo "ID=${XDG_SESSION_ID:-} FB=${LOGINGUARD_FALLBACK:-} RT=${XDG_RUNTIME_DIR:-}"; [ -z "${XDG_SESSION_ID:-}" ] || loginctl show-session "$XDG_SESSION_ID" -p State -p Service | tr "\n" " "'
for user in root lguser; do
        rs_ssh "$user" "$SHOW"
        lg_assert_match "$OUT" '^ID=[c0-9]+ FB= RT=/run/user/' "healthy: ssh login of $user registered (XDG_SESSION_ID, XDG_RUNTIME_DIR)"
        lg_assert_match "$OUT" "State=active" "healthy: loginctl shows the $user session active"
        lg_assert_match "$OUT" "Service=sshd" "healthy: the $user session is sshd's"
done
rs_driver wrapped 30
lg_assert_match "$OUT" '^env\.XDG_SESSION_ID=' "healthy: the PAM driver's wrapped login registered"
base=$(($(lg_kv "$OUT" open_usec) / 1000)) # the baseline of the bounds below
lg_assert_eq "$(lg_kv "$OUT" close_rc)" PAM_SUCCESS "healthy: close_session passes through"
rs_settle 1
rs_assert_clean "after the healthy logins"

frozen() { # UNIT WHAT
        local unit=$1 what=$2 ms
        rs_freeze_unit "$unit" || return
        rs_driver stock "$CAP" --ops open
        lg_assert_eq "$(lg_kv "$OUT" open_rc)" "" "$what: stock pam_systemd still blocked at the ${CAP} s cap"
        rs_row "$what: stock pam_systemd" "> ${CAP} s" "still blocked at the cap (waits 90-120 s)"
        rs_driver wrapped 60 --ops open,close
        ms=$(($(lg_kv "$OUT" open_usec) / 1000))
        rs_row "$what: pam_loginguard, 1st login" "$ms ms" "cut at deadline=$DEADLINE ms"
        lg_assert_eq "$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)" deadline "$what: 1st wrapped login cut (LOGINGUARD_FALLBACK=deadline)"
        lg_assert_within "$ms" "$DEADLINE" "$base" "$what: 1st wrapped open_session cut at the deadline (ms)"
        lg_assert_eq "$(lg_kv "$OUT" open_rc)" PAM_SUCCESS "$what: the login goes on (PAM_SUCCESS)"
        rs_driver wrapped 60 --ops open,close
        lg_assert_eq "$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)" deadline "$what: 2nd wrapped login cut too"
        rs_driver wrapped 60 --ops open,close
        ms=$(($(lg_kv "$OUT" open_usec) / 1000))
        lg_assert_eq "$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)" breaker "$what: then the breaker skips pam_systemd"
        lg_assert_within "$ms" 0 "$base" "$what: a breaker skip, no deadline wait (ms)"
        rs_row "$what: pam_loginguard, 3rd login" "$ms ms" "breaker open: skipped"
        rs_ssh lguser "$SHOW"
        lg_assert_match "$OUT" '^ID= FB=breaker' "$what: a real ssh login goes on, skipped by the breaker"
        rs_thaw
        rs_settle 3
        rs_assert_clean "$what, after the thaw"
        rm -f "$(rs_path /run/loginguard/breaker-pam_systemd)"
}
frozen systemd-logind "logind frozen"
frozen dbus.service "dbus-daemon frozen"

rs_ssh lguser "$SHOW"
lg_assert_match "$OUT" '^ID=[c0-9]+ FB= ' "after both thaws: logins registered again"
lg_done
