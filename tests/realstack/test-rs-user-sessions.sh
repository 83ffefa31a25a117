#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# systemd-user-sessions.service delayed (issue 23 (c); the shape of systemd
# PR 43459: a login held 2 minutes while it is delayed at boot). logind
# orders a session scope after it, so it takes a CreateSession and answers
# only once systemd-user-sessions has started. On systemd 252 that holds
# the sessions of non-system users (root's scopes are not ordered after it
# there, and sshd's pam_nologin turns normal users away while /run/nologin
# exists), so the logins here are the PAM driver's, as lguser, through the
# session stack. Its start is delayed 25 s (ExecStartPre=/bin/sleep 25, the
# state after a restart; a boot with the same drop-in holds logins alike),
# guardd.service running:
#   stock: lguser's open_session held until systemd-user-sessions is up;
#   wrapped: it returns after patience (5 s), logind having taken the call:
#     lguser's own breaker counts it, the host's does not move;
#   the wrapped session stays open until systemd-user-sessions has
#     started, then ends: nothing is left behind (no session, no scope
#     abandoned or failed, the system not degraded).
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
. "$LG_ROOT/tests/lib/realstack.sh"
rs_up bookworm
PATIENCE=5000 DELAY=25
printf 'patience = %s\n' "$PATIENCE" >>"$RS_ROOT/etc/loginguard/loginguard.conf"
rs_pam_service stock "session optional pam_systemd.so" "session required pam_permit.so"
rs_pam_service wrapped "session optional pam_loginguard.so wrap=pam_systemd.so" "session required pam_permit.so"
rs_exec systemctl enable --now guardd.service >/dev/null 2>&1
lg_check "guardd: allow" rs_wait_status LOGIN1_ACTION allow 30
rs_driver wrapped 60 --user lguser --ops open,close
lg_assert_match "$(lg_kv "$OUT" env.XDG_SESSION_ID)" '^c?[0-9]+$' "healthy: lguser's wrapped login registered"
base=$(($(lg_kv "$OUT" open_usec) / 1000))
rs_settle 2

mkdir -p "$RS_ROOT/etc/systemd/system/systemd-user-sessions.service.d"
printf '[Service]\nExecStartPre=/bin/sleep %s\nTimeoutStartSec=infinity\n' "$DELAY" \
        >"$RS_ROOT/etc/systemd/system/systemd-user-sessions.service.d/delay.conf"
rs_exec systemctl daemon-reload
rs_exec systemctl restart --no-block systemd-user-sessions.service
activating() { [ "$(rs_exec systemctl is-active systemd-user-sessions.service)" = activating ]; }
lg_check "systemd-user-sessions.service is held starting" lg_until 30 activating

(rs_driver stock 120 --user lguser --ops open,close; printf '%s\n' "$OUT" >"$LG_TMP/stock.out") &
stocker=$!
hold=/run/lg-hold
(rs_driver wrapped 120 --user lguser --ops open,close --hold "$hold"
        printf '%s\n' "$OUT" >"$LG_TMP/wrapped.out") &
wrapper=$!
opened() { [ -e "$(rs_path "$hold.open")" ]; }
lg_check "wrapped: open_session returned while systemd-user-sessions still starts" lg_until 60 opened
lg_assert_eq "$(rs_exec systemctl is-active systemd-user-sessions.service)" activating "(it was still starting)"
wait "$stocker"
stock_ms=$(($(lg_kv "$(cat "$LG_TMP/stock.out")" open_usec) / 1000))
lg_log "stock open_session: ${stock_ms} ms"
lg_assert_ge "$stock_ms" $(((DELAY - 10) * 1000)) "stock: open_session held while systemd-user-sessions starts (ms)"
lg_assert_match "$(lg_kv "$(cat "$LG_TMP/stock.out")" env.XDG_SESSION_ID)" '^c?[0-9]+$' "stock: registered once it started"
lg_check "systemd-user-sessions.service started" lg_until 60 sh -c "[ \"\$(nsenter -t $RS_PID1 -a systemctl is-active systemd-user-sessions.service)\" = active ]"
touch "$(rs_path "$hold")"
wait "$wrapper"
OUT=$(cat "$LG_TMP/wrapped.out")
lg_assert_eq "$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)" patience "wrapped: logind took the call; it went on after patience"
lg_assert_within "$(($(lg_kv "$OUT" open_usec) / 1000))" "$PATIENCE" "$base" "wrapped: open_session bounded by patience (ms)"
lg_assert_eq "$(lg_kv "$OUT" close_rc)" PAM_SUCCESS "wrapped: the session closed"
lg_assert_eq "$(rs_breaker STATE)" closed "the host's breaker did not move"
lg_assert_eq "$(rs_breaker CUTS)" 1 "the host's record counts the cut"
rm -rf "$RS_ROOT/etc/systemd/system/systemd-user-sessions.service.d"
rs_exec systemctl daemon-reload
rs_settle 5
rs_assert_clean "after systemd-user-sessions started and the logins ended"
lg_done
