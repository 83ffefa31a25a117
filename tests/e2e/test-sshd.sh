#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Real sshd and ssh, key login, Debian's PAM stack with pam_systemd
# wrapped in common-session: healthy -> registered; logind frozen -> a
# shell within the deadline with LOGINGUARD_FALLBACK in the session;
# dbus-daemon frozen -> the same; logind killed and restarted every few
# seconds (incident 1) -> no login waits more than the deadline. Each
# bound is the deadline plus a slack from healthy ssh logins timed in this
# run (lg_assert_within): the handshake alone takes a second on a loaded
# machine, and that is the machine's time, not loginguard's.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || lg_skip "sshd missing (package openssh-server)"
id sshd >/dev/null 2>&1 || lg_skip "no sshd privilege separation user"
[ -z "${SANITIZE:-}" ] || lg_skip "sshd cannot load an ASan-built module without preloading the runtime"
lg_e2e_setup

ssh-keygen -q -t ed25519 -N '' -f "$LG_TMP/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$LG_TMP/id"
cp "$LG_TMP/id.pub" "$LG_TMP/authorized_keys"
PORT=$((20000 + RANDOM % 20000))
cat >"$LG_TMP/sshd_config" <<CONF
Port $PORT
ListenAddress 127.0.0.1
HostKey $LG_TMP/hostkey
PidFile none
UsePAM yes
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $LG_TMP/authorized_keys
StrictModes no
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel ERROR
CONF
/usr/sbin/sshd -D -e -f "$LG_TMP/sshd_config" 2>>"$LG_TMP/sshd.log" &
lg_track $!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done

login() { # -> OUT, MS
        local t0=$(date +%s%N)
        OUT=$(timeout 60 ssh -p "$PORT" -i "$LG_TMP/id" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
                -o BatchMode=yes -o LogLevel=ERROR root@127.0.0.1 "$LG_SHOW_ENV" 2>&1)
        MS=$((($(date +%s%N) - t0) / 1000000))
}
DEADLINE=$E2E_DEADLINE_MS

login
lg_assert_match "$OUT" '^XDG_SESSION_ID=c[0-9]+ LOGINGUARD_FALLBACK= ' "healthy: ssh session registered with logind (XDG_SESSION_ID)"
lg_assert_match "$OUT" 'XDG_RUNTIME_DIR=/run/user/0' "healthy: XDG_RUNTIME_DIR from pam_systemd"
lg_assert_match "$(cat "$LG_TMP/logind.log")" 'CreateSession uid=0 .*service=sshd type=tty|CreateSession uid=0 .*service=sshd' "the logind double saw sshd's CreateSession"
# The baseline: the slowest of three healthy logins, the same measure.
base=$MS
for _ in 1 2; do
        login
        base=$(lg_max "$base" "$MS")
done
lg_log "healthy ssh logins: slowest ${base} ms (the baseline for the bounds below)"

# Frozen logind, before guardd notices: the deadline cuts the call.
lg_freeze "$LOGIND_PID"
login
lg_assert_match "$OUT" 'LOGINGUARD_FALLBACK=(deadline|status)' "logind frozen: shell started, LOGINGUARD_FALLBACK visible in the session"
lg_assert_within "$MS" "$DEADLINE" "$base" "logind frozen: ssh login within the deadline (ms)"
lg_check "guardd: LOGIN1_ACTION=skip" lg_wait_status LOGIN1_ACTION skip 10
login
lg_assert_match "$OUT" 'LOGINGUARD_FALLBACK=status' "logind frozen, guardd says skip: fallback=status"
# A login that waited for the deadline takes a healthy login plus the deadline.
lg_check "logind frozen, guardd says skip: no deadline wait ($MS ms < $base + $DEADLINE)" \
        test "$MS" -lt $((base + DEADLINE))
lg_thaw "$LOGIND_PID"
lg_check "guardd: allow again" lg_wait_status LOGIN1_ACTION allow 15
rm -f /run/loginguard/breaker-pam_systemd

# Frozen dbus-daemon.
lg_freeze "$BUS_PID"
login
lg_assert_match "$OUT" 'LOGINGUARD_FALLBACK=(deadline|status)' "dbus-daemon frozen: shell started with the fallback"
lg_assert_within "$MS" "$DEADLINE" "$base" "dbus-daemon frozen: ssh login within the deadline (ms)"
lg_thaw "$BUS_PID"
lg_check "guardd: allow again after the bus thaws" lg_wait_status LOGIN1_ACTION allow 15
rm -f /run/loginguard/breaker-pam_systemd

# Incident 1: logind killed and restarted every 2 s while people log in.
(
        while [ ! -e "$LG_TMP/stop-churn" ]; do
                sleep 2
                pkill -f "logind-double --ready $LG_TMP/logind.ready" 2>/dev/null
                sleep 0.3
                "$B/tests/logind-double" --ready "$LG_TMP/logind.ready" --log "$LG_TMP/logind.log" \
                        --runtime-dir "$LG_TMP/sessions" >>"$LG_TMP/logind.out" 2>&1 &
        done
) &
churn=$!
lg_track "$churn"
worst=0 n=0
for i in $(seq 1 10); do
        login
        printf '%s\n' "$OUT" | grep -q '^XDG_SESSION_ID=' && n=$((n + 1))
        [ "$MS" -gt "$worst" ] && worst=$MS
        sleep 0.4
done
touch "$LG_TMP/stop-churn"
wait "$churn" 2>/dev/null
pkill -f "logind-double --ready $LG_TMP/logind.ready" 2>/dev/null
lg_assert_eq "$n" 10 "logind churn: all 10 ssh logins got a shell"
lg_assert_within "$worst" "$DEADLINE" "$base" "logind churn: no login waited more than the deadline (ms)"
lg_check "guardd counted logind restarts" test "$(lg_status_key LOGIN1_RESTARTS)" -ge 1
lg_done
