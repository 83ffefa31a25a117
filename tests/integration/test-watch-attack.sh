#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Attacks on the watch table (issue 24), by a login process that a user
# controls the timing of (a setuid su: it runs as root, the user can stop
# and kill it). status-tool watch-hold plays that login at the exact
# moment the attack needs; a race with the real su hits it in about one
# try in six.
#   1. Stopped between claim and arm, longer than guardd's old 10 s
#      give-up: its slot stays claimed (guardd never hands it to another
#      login while it can still run), a root login meanwhile is cut by
#      guardd at its deadline, and when continued the attacker arms its own
#      slot and nothing else. Killed instead: the slot is freed.
#   2. Twenty armed, stopped logins each holding 18,000 descriptors above
#      the limit of 1024: guardd reads none of them (its look stops at the
#      limit), its CPU stays low, its heartbeat fresh, its verdict allow,
#      and a root login is still cut by guardd at its deadline.
#   3. The table tells users nothing: mode 0600, unreadable as uid 65534.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_login_stack
LG_INTERVAL_MS=200 LG_PROBE_TIMEOUT_MS=1000
lg_guardd_conf
lg_start_guardd
: >"$LG_TMP/empty.conf"
table=$LG_TMP/state/watch
opts="conf=$LG_TMP/empty.conf state_dir=$LG_TMP/state status=$GUARDD_STATUS sessions_dir=$LG_TMP/sessions-dir debug deadline=1000"
lg_service login "$(lg_module_line optional "$opts" wrap="$PAM_SYSTEMD")" "session required pam_permit.so"
watch() { "$B/tests/status-tool" watch "$table"; }
fresh() { watch | grep -q '^FRESH=1'; }
lg_check "guardd watches" lg_until 10 fresh
# A root login with logind frozen: cut at its deadline, by guardd.
root_cut() { # WHAT
        local out
        lg_call_frozen "$LOGIND_PID" "$LG_TMP/root.out" lg_driver login --ops open
        out=$(cat "$LG_TMP/root.out")
        lg_thaw "$LOGIND_PID"
        lg_wait_allow_after 15 || lg_log "$1: guardd did not allow logind again within 15 s"
        lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" deadline "$1: a root login is cut at its deadline"
        lg_assert_ge "$(grep -c 'cut [0-9]* connection' "$LG_TMP/guardd.log")" "$((CUTS + 1))" "$1: by guardd"
        CUTS=$(grep -c 'cut [0-9]* connection' "$LG_TMP/guardd.log")
        rm -f "$LG_TMP/state/breaker-"*
}
CUTS=$(grep -c 'cut [0-9]* connection' "$LG_TMP/guardd.log")

# --- 1. stopped between claim and arm
"$B/tests/status-tool" watch-hold "$table" claim 0 >"$LG_TMP/hold.out" 2>&1 &
hold=$!
lg_track "$hold"
lg_check "attacker stopped with its slot claimed" lg_until 10 lg_stopped "$hold"
slot=$(sed -n 's/^slot=//p' "$LG_TMP/hold.out")
sleep 12 # longer than guardd's old give-up on a claimed slot (10 s)
lg_assert_match "$(watch)" "^slot=$slot state=claimed pid=$hold " "a stopped claimer keeps its slot past 10 s"
root_cut "claimer stopped"
kill -CONT "$hold"
wait "$hold"
lg_assert_match "$(cat "$LG_TMP/hold.out")" '^armed=1$' "continued, the attacker arms its own slot"
gone() { ! watch | grep -q "pid=$1 "; }
lg_check "its slot is freed once it exits" lg_until 10 gone "$hold"
"$B/tests/status-tool" watch-hold "$table" claim 0 >"$LG_TMP/hold.out" 2>&1 &
hold=$!
lg_check "a second attacker stopped with its slot claimed" lg_until 10 lg_stopped "$hold"
kill -KILL "$hold"
wait "$hold" 2>/dev/null
lg_check "killed, its claimed slot is freed" lg_until 10 gone "$hold"

# --- 2. twenty armed, stopped logins with 18,000 descriptors each (fewer
# when the hard limit here is lower: they sit above 1024 and below it)
ticks() { awk '{print $14 + $15}' "/proc/$GUARDD_PID/stat"; }
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=1048576
nfds=$(($(lg_max 0 $((hard - 1100))) > 18000 ? 18000 : hard - 1100))
[ "$nfds" -ge 5000 ] || lg_skip "descriptor hard limit $hard: too low to stuff a login's table"
lg_log "each attacker holds $nfds descriptors above 1024"
pids=""
for i in $(seq 1 20); do
        "$B/tests/status-tool" watch-hold "$table" armed "$nfds" >"$LG_TMP/fat.$i" 2>&1 &
        pids="$pids $!"
done
all_stopped() {
        local i
        for i in $(seq 1 20); do grep -q '^armed=1' "$LG_TMP/fat.$i" || return 1; done
}
lg_check "twenty armed attackers" lg_until 30 all_stopped
t0=$(ticks)
stale=0
for i in $(seq 1 50); do
        fresh || stale=$((stale + 1))
        [ "$(lg_status_key LOGIN1_ACTION)" = allow ] || lg_fail "verdict not allow while the attackers sit armed (sample $i)"
        sleep 0.1
done
used=$(($(ticks) - t0))
hz=$(getconf CLK_TCK)
lg_log "guardd CPU over 5 s beside them: $((used * 1000 / hz)) ms; heartbeat stale in $stale of 50 samples"
# Reading their descriptors (about 360,000) at each look took seconds of
# CPU in 5 s; bounded at the limit it is guardd's usual round.
lg_assert_le "$((used * 1000 / hz))" 1000 "guardd's CPU beside the attackers (ms in 5 s)"
lg_assert_le "$stale" 5 "guardd's heartbeat stays fresh (stale samples of 50)"
root_cut "attackers armed"
# shellcheck disable=SC2086
kill -KILL $pids 2>/dev/null
pkill -KILL -f "status-tool watch-hold $table" 2>/dev/null
nothing_left() { ! watch | grep -q '^slot='; }
lg_check "their slots are freed once they are gone" lg_until 20 nothing_left

# --- 3. nothing for users to read
lg_assert_eq "$(stat -c %a "$table")" 600 "the table is 0600"
if setpriv --reuid=65534 --regid=65534 --clear-groups cat "$table" >/dev/null 2>&1; then
        lg_fail "uid 65534 reads the table"
else
        lg_ok "uid 65534 cannot read the table"
fi
lg_done
