#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# guardd as the real, hardened guardd.service under systemd 252 as PID 1:
# started with systemctl (Type=notify: active only after READY), its status
# says ok and that it watches wrapped calls (WATCHDOG=guardd: the unit
# lets it take sockets with pidfd_getfd); healthy logins hand it their
# deadlines; logind frozen -> LOGIN1_ACTION=skip within 2 s; logins then
# fall back by status in milliseconds (real ssh and the PAM driver); after
# the thaw, allow again; a login made the moment logind freezes is cut by
# guardd at the deadline; nothing left behind, the unit never restarted.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
. "$LG_ROOT/tests/lib/realstack.sh"
rs_up bookworm
rs_pam_service wrapped "session optional pam_loginguard.so wrap=pam_systemd.so" "session required pam_permit.so"

rs_exec systemctl daemon-reload
out=$(rs_exec systemctl enable --now guardd.service 2>&1)
lg_assert_eq "$(rs_exec systemctl is-active guardd.service)" active "guardd.service active (READY=1 received)"
lg_check "status written by guardd.service" rs_wait_status LOGIN1_ACTION allow 10
lg_assert_eq "$(rs_status_key OVERALL)" ok "healthy stack: OVERALL=ok"
lg_assert_eq "$(rs_status_key PID1)" ok "PID 1 ok"
lg_assert_match "$(rs_status_key PID1_USERDB_USEC)" '^[0-9]+$' "PID 1 answers on its userdb socket, inside the hardened unit"
lg_assert_match "$(rs_status_key PID1_PING_USEC)" '^[0-9]+$' "PID 1 answers Peer.Ping on the bus"
lg_assert_eq "$(rs_status_key DEVLOG)" ok "/dev/log seen through the unit's private /dev"
lg_assert_eq "$(rs_status_key DEVLOG_READER_COMM)" systemd-journal "journald found as the /dev/log reader"
lg_assert_eq "$(rs_status_key LOGIN1_PID)" "$(rs_exec systemctl show -P MainPID systemd-logind)" "guardd found logind's PID"
perm=$(stat -c '%U %a' "$(rs_path /run/loginguard/status)")
lg_assert_eq "$perm" "root 644" "status file owned by root, mode 0644"
out=$(rs_exec guardd status --nagios)
lg_assert_match "$out" '^LOGINGUARD OK - ' "guardd status --nagios inside the container: OK"
lg_assert_eq "$(rs_status_key WATCHDOG)" guardd "the hardened unit can watch wrapped calls (WATCHDOG=guardd)"
calls0=$(rs_status_key WATCH_CALLS)
rs_driver wrapped 30 --ops open,close
lg_assert_match "$(lg_kv "$OUT" env.XDG_SESSION_ID)" '^c?[0-9]+$' "healthy login registered"
base=$(($(lg_kv "$OUT" open_usec) / 1000)) # the baseline of the bounds below
lg_check "its two calls were handed to guardd" rs_wait_status_ge WATCH_CALLS $((calls0 + 2)) 5

# guardd.service's defaults: interval 1000 ms, probe timeout 1000 ms.
round_ms=$(($(rs_status_key GUARDD_ROUND_USEC) / 1000))
rs_freeze_unit systemd-logind
t0=$(date +%s%N)
rs_wait_status LOGIN1_ACTION skip 30
det=$((($(date +%s%N) - t0) / 1000000))
lg_assert_within "$det" 2000 "$round_ms" "frozen logind -> LOGIN1_ACTION=skip within an interval + the probe timeout (ms)"
lg_assert_match "$(rs_status_key SUMMARY)" 'logind' "the summary names logind"
rs_driver wrapped 30 --ops open,close
lg_assert_eq "$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)" status "PAM driver login falls back by status"
lg_assert_within "$(($(lg_kv "$OUT" open_usec) / 1000))" 0 "$base" "a status skip, no deadline wait (ms)"
rs_ssh lguser 'echo "ID=${XDG_SESSION_ID:-} FB=${LOGINGUARD_FALLBACK:-}"'
lg_assert_match "$OUT" '^ID= FB=status' "real ssh login falls back by status"
out=$(rs_exec guardd status --nagios)
lg_assert_match "$out" '^LOGINGUARD CRITICAL - .*logind' "guardd status --nagios: CRITICAL naming logind"

rs_thaw
lg_check "after the thaw: LOGIN1_ACTION=allow again" rs_wait_status LOGIN1_ACTION allow 15
rs_ssh lguser 'echo "ID=${XDG_SESSION_ID:-} FB=${LOGINGUARD_FALLBACK:-}"'
lg_assert_match "$OUT" '^ID=[c0-9]+ FB=$' "after the thaw: ssh login registered"

# A login made the moment logind freezes (guardd has not judged it yet):
# guardd, as its watchdog, cuts it at the deadline.
rs_freeze_unit systemd-logind
rs_driver wrapped 30 --ops open
rs_thaw
lg_assert_eq "$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)" deadline "logind frozen at the login: cut at the deadline"
LG_SLACK_MIN_MS=600 lg_assert_within "$(($(lg_kv "$OUT" open_usec) / 1000))" 2000 "$base" "cut at the deadline + guardd's tick (ms)"
lg_assert_match "$(rs_exec journalctl -q --no-pager -u guardd.service -g 'cut [0-9]+ connection')" \
        'cut 1 connection of its wrapped call' "guardd cut it and says so in the journal"
lg_check "WATCH_CUTS counts it" rs_wait_status_ge WATCH_CUTS 1 5
lg_check "allow again" rs_wait_status LOGIN1_ACTION allow 15
lg_assert_eq "$(rs_exec systemctl show -P NRestarts guardd.service)" 0 "guardd.service never restarted"
rs_settle 3
rs_assert_clean "after the thaw"
lg_done
