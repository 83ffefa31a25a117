#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# PID 1 stalls on the real stack (systemd 252 in systemd-nspawn, stopped
# from the host: a PID namespace's init ignores SIGSTOP from inside),
# KillUserProcesses=yes, ssh logins of a normal user:
#   module alone:
#     PID 1 stopped before the login: it goes on at once (LOGINGUARD_FALLBACK=pid1);
#     PID 1 stopped for 3.5 s while logind completes a session (user@ takes
#       3 s): the module waits, the login is registered and lives on;
#     PID 1 stopped for 3.5 s at a random point of five logins: each goes on;
#   guardd running: PID 1 stopped -> guardd names PID 1, sets
#     LOGIN1_ACTION=skip, keeps its status fresh (its notifications never
#     block on PID 1), logins skip cleanly; after the continue, allow.
# After each scenario: no failed unit, no abandoned session.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
. "$LG_ROOT/tests/lib/realstack.sh"
rs_up bookworm
mkdir -p "$RS_ROOT/etc/systemd/logind.conf.d"
printf '[Login]\nKillUserProcesses=yes\n' >"$RS_ROOT/etc/systemd/logind.conf.d/kill.conf"
rs_exec systemctl restart systemd-logind
STOP_S=3.5
SHOW='echo "ID=${XDG_SESSION_ID:-} FB=${LOGINGUARD_FALLBACK:-}"; sleep 6; echo still-alive'

pid1_stop_for() { # SECONDS: in the background; sets STOPPER
        (kill -STOP "$RS_PID1" && sleep "$1" && kill -CONT "$RS_PID1") &
        STOPPER=$!
}

# --- 1. stopped before the login
kill -STOP "$RS_PID1"
rs_ssh lguser "$SHOW"
kill -CONT "$RS_PID1"
lg_assert_match "$OUT" '^ID= FB=pid1$' "PID 1 stopped before the login: skipped up front (LOGINGUARD_FALLBACK=pid1)"
lg_assert_match "$OUT" 'still-alive' "PID 1 stopped before the login: the login goes on and lives"
rs_settle 3
rs_assert_clean "PID 1 stopped before a login"

# --- 2. stopped while logind completes a session (slow user manager)
mkdir -p "$RS_ROOT/etc/systemd/system/user@.service.d"
printf '[Service]\nExecStartPre=/bin/sleep 3\n' >"$RS_ROOT/etc/systemd/system/user@.service.d/slow.conf"
rs_exec systemctl daemon-reload
rs_exec systemctl stop user@1000.service >/dev/null 2>&1
(rs_ssh lguser "$SHOW"; printf '%s\n' "$OUT" >"$LG_TMP/during.out") &
login=$!
taken=""
for _ in $(seq 1 400); do # a loaded machine takes seconds to get there
        taken=$(grep -l '^STATE=opening' "$(rs_path /run/systemd/sessions)"/* 2>/dev/null | head -n 1)
        [ -n "$taken" ] && break
        sleep 0.05
done
lg_check "logind took the request (its session file says opening)" test -n "$taken"
pid1_stop_for "$STOP_S"
wait "$STOPPER"
wait "$login"
OUT=$(cat "$LG_TMP/during.out")
lg_assert_match "$OUT" '^ID=[c0-9]+ FB=$' "PID 1 stopped during the session's start: the login is registered"
lg_assert_match "$OUT" 'still-alive' "PID 1 stopped during the session's start: not killed later"
rm -f "$RS_ROOT/etc/systemd/system/user@.service.d/slow.conf"
rs_exec systemctl daemon-reload
rs_settle 3
rs_assert_clean "PID 1 stopped during a login"

# --- 3. stopped at a random point of the login, five times
ok=0
for i in 1 2 3 4 5; do
        (rs_ssh lguser "$SHOW"; printf '%s\n' "$OUT" >"$LG_TMP/random.$i") &
        login=$!
        sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
        pid1_stop_for "$STOP_S"
        wait "$STOPPER"
        wait "$login"
        grep -q still-alive "$LG_TMP/random.$i" && ok=$((ok + 1))
        lg_log "random stop $i: $(head -n 1 "$LG_TMP/random.$i")"
done
lg_assert_eq "$ok" 5 "PID 1 stopped at a random point: all five logins went on and lived"
rs_settle 3
rs_assert_clean "PID 1 stopped at random points"

# --- 4. with guardd
rs_exec systemctl daemon-reload
rs_exec systemctl enable --now guardd.service >/dev/null 2>&1
lg_check "guardd: allow" rs_wait_status LOGIN1_ACTION allow 10
# Stopped until the checks are done (a timer would let a slow machine's
# checks run after PID 1 had continued).
kill -STOP "$RS_PID1"
t0=$(date +%s%N)
lg_check "guardd: PID1=stopped" rs_wait_status PID1 stopped 20
lg_log "PID 1 stopped seen after $((($(date +%s%N) - t0) / 1000000)) ms"
lg_assert_eq "$(rs_status_key LOGIN1_ACTION)" skip "guardd: LOGIN1_ACTION=skip while PID 1 is stopped"
lg_assert_eq "$(rs_status_key CULPRIT)" pid1 "guardd: the culprit is PID 1"
lg_assert_match "$(rs_status_key SUMMARY)" '^PID 1 is stopped' "guardd: the summary names PID 1"
w1=$(rs_status_key WRITTEN_MONOTONIC_USEC)
advanced() { [ "$(rs_status_key WRITTEN_MONOTONIC_USEC)" -ge $((w1 + 1500000)) ] 2>/dev/null; }
lg_check "guardd's status stays fresh while PID 1 is stopped (1.5 s on within 10 s)" lg_until 10 advanced
out=$(rs_exec guardd status --nagios)
lg_assert_match "$out" '^LOGINGUARD CRITICAL - PID 1 is stopped' "guardd status names PID 1, not 'guardd is not running'"
RS_SSH_CAP=20 rs_ssh lguser 'echo "ID=${XDG_SESSION_ID:-} FB=${LOGINGUARD_FALLBACK:-}"'
lg_assert_match "$OUT" '^ID= FB=(status|pid1)$' "a login while PID 1 is stopped skips cleanly"
kill -CONT "$RS_PID1"
lg_check "guardd: allow again after PID 1 continues" rs_wait_status LOGIN1_ACTION allow 15
lg_assert_eq "$(rs_exec systemctl show -P NRestarts guardd.service)" 0 "guardd.service was not restarted"
rs_ssh lguser 'echo "ID=${XDG_SESSION_ID:-}"'
lg_assert_match "$OUT" '^ID=[c0-9]+' "after PID 1 continues: logins registered again"
rs_settle 3
rs_assert_clean "PID 1 stopped with guardd"
lg_done
