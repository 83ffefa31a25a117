#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Newer systemd booted for real: trixie (257, D-Bus) and sid (258+, where
# pam_systemd talks to logind over Varlink, /run/systemd/io.systemd.Login).
# For each, loginguard installed and common-session wrapped:
#   healthy ssh login registered;
#   logind frozen: stock still blocked at the cap, the wrapped call cut
#     within deadline + 250 ms, then the breaker skips in milliseconds;
#   a long-lived login cut while logind is frozen, KillUserProcesses=yes:
#     when logind continues it may still read the cut request (over Varlink
#     it has the buffered request and the caller's pidfd) and register the
#     login late; the login is never killed, and once it ends nothing is
#     left; a short login cut the same way leaves nothing at all;
#   dbus-daemon frozen: cut within deadline + 250 ms, nothing left;
#   guardd.service sees logind frozen and logins skip by status.
# What was found is recorded in docs/COMPATIBILITY.md.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
. "$LG_ROOT/tests/lib/realstack.sh"
SUITES=${LG_REALSTACK_SUITES:-trixie sid}
DEADLINE=2000
SHOW='echo "ID=${XDG_SESSION_ID:-} FB=${LOGINGUARD_FALLBACK:-}"'

prove() { # SUITE
        local suite=$1 v ms
        rs_boot "$suite"
        v="$suite ($RS_SYSTEMD_VERSION)"
        rs_install
        rs_exec loginguard-pam enable >/dev/null 2>&1
        mkdir -p "$RS_ROOT/etc/systemd/logind.conf.d"
        printf '[Login]\nKillUserProcesses=yes\n' >"$RS_ROOT/etc/systemd/logind.conf.d/kill.conf"
        rs_exec systemctl restart systemd-logind
        rs_pam_service stock "session optional pam_systemd.so" "session required pam_permit.so"
        rs_pam_service wrapped "session optional pam_loginguard.so deadline=$DEADLINE trip=2 wrap=pam_systemd.so" \
                "session required pam_permit.so"
        [ -S "$(rs_path /run/systemd/io.systemd.Login)" ] && lg_log "$v: logind listens on Varlink"

        rs_ssh lguser "$SHOW"
        lg_assert_match "$OUT" '^ID=c[0-9]+ FB=$' "$v: healthy ssh login registered"
        rs_driver wrapped 60 --ops open,close
        lg_assert_match "$OUT" '^env\.XDG_SESSION_ID=' "$v: healthy wrapped login registered"
        base=$(($(lg_kv "$OUT" open_usec) / 1000)) # the baseline of the bounds below

        rs_freeze_unit systemd-logind
        rs_driver stock 5 --ops open
        lg_assert_eq "$(lg_kv "$OUT" open_rc)" "" "$v, logind frozen: stock still blocked at the 5 s cap"
        rs_driver wrapped 60 --ops open,close
        ms=$(($(lg_kv "$OUT" open_usec) / 1000))
        lg_assert_eq "$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)" deadline "$v, logind frozen: cut"
        lg_assert_within "$ms" "$DEADLINE" "$base" "$v, logind frozen: cut at the deadline (ms)"
        (rs_ssh lguser "$SHOW; sleep 10; echo still-alive"; printf '%s\n' "$OUT" >"$LG_TMP/long.$suite") &
        long=$!
        rs_ssh lguser "$SHOW"
        lg_assert_match "$OUT" '^ID= FB=(deadline|breaker)$' "$v, logind frozen: a short ssh login goes on"
        rs_driver wrapped 60 --ops open
        lg_assert_eq "$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)" breaker "$v: the breaker skips after two cuts"
        lg_assert_within "$(($(lg_kv "$OUT" open_usec) / 1000))" 0 "$base" "$v: a breaker skip, no deadline wait (ms)"
        sleep 3
        rs_thaw
        rs_settle 2
        lg_log "$v: sessions after the thaw, the long login still running: $(rs_exec loginctl list-sessions --no-legend | awk '!/ manager /' | tr '\n' ';')"
        wait "$long"
        lg_assert_match "$(cat "$LG_TMP/long.$suite")" 'still-alive' "$v: the long login cut while logind was frozen lives on (KillUserProcesses=yes)"
        rs_settle 3
        rs_assert_clean "$v, after logind's thaw and the logins' end"
        rm -f "$(rs_path /run/loginguard/breaker-pam_systemd)"

        rs_freeze_unit dbus.service
        rs_driver wrapped 60 --ops open,close
        lg_assert_eq "$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)" deadline "$v, dbus-daemon frozen: cut"
        lg_assert_within "$(($(lg_kv "$OUT" open_usec) / 1000))" "$DEADLINE" "$base" "$v, dbus-daemon frozen: cut at the deadline (ms)"
        rs_thaw
        rs_settle 3
        rs_assert_clean "$v, after dbus-daemon's thaw"
        rm -f "$(rs_path /run/loginguard/breaker-pam_systemd)"

        rs_exec systemctl daemon-reload
        rs_exec systemctl enable --now guardd.service >/dev/null 2>&1
        lg_check "$v: guardd.service runs and allows" rs_wait_status LOGIN1_ACTION allow 10
        rs_freeze_unit systemd-logind
        lg_check "$v: guardd sees logind frozen" rs_wait_status LOGIN1_ACTION skip 15
        rs_ssh lguser "$SHOW"
        lg_assert_match "$OUT" '^ID= FB=status$' "$v: logins skip by status"
        rs_thaw
        lg_check "$v: allow again" rs_wait_status LOGIN1_ACTION allow 10
        rs_stop
}

ran=0
for suite in $SUITES; do
        prove "$suite"
        ran=$((ran + 1))
done
lg_assert_eq "$ran" "$(echo $SUITES | wc -w)" "every suite booted: $SUITES"
lg_done
