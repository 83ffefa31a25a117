#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# 200 concurrent logins with logind frozen: all complete within the
# deadline plus a slack (twice the slowest of the same burst with logind
# healthy, timed first: 200 processes on 2 cores queue for the CPU, and at
# least 1 s), none refused, and the breaker's counters are exact. After the
# thaw, once the cooldown is over, concurrent logins again: the one trial's
# outcome lands and the breaker closes.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_login_stack
: >"$LG_TMP/empty.conf"
N=${LG_LOAD_N:-200}
opts="conf=$LG_TMP/empty.conf state_dir=$LG_TMP/state status=$LG_TMP/none deadline=1000 cooldown=3"
lg_service guarded "$(lg_module_line optional "$opts" wrap="$PAM_SYSTEMD")" "session required pam_permit.so"
LG_SLACK_MIN_MS=1000

# The baseline burst runs with a deadline it cannot reach and a state
# directory of its own: it measures the machine and must not move the
# breaker under test (a loaded or sanitized run takes seconds per login).
lg_service baseline "$(lg_module_line optional "conf=$LG_TMP/empty.conf state_dir=$LG_TMP/state-baseline status=$LG_TMP/none deadline=120000" wrap="$PAM_SYSTEMD")" \
        "session required pam_permit.so"
burst() { # TAG SERVICE: N logins at once -> $LG_TMP/TAG.N files
        local i pids=""
        for i in $(seq 1 "$N"); do
                lg_driver "$2" --ops open >"$LG_TMP/$1.$i" 2>&1 &
                pids="$pids $!"
        done
        # shellcheck disable=SC2086
        wait $pids
}
LG_DRIVER_TIMEOUT=300 burst healthy baseline
lg_assert_eq "$(cat "$LG_TMP"/healthy.* | grep -c '^env.XDG_SESSION_ID=')" "$N" "healthy burst: all $N registered"
base=$(($(cat "$LG_TMP"/healthy.* | sed -n 's/^open_usec=//p' | sort -n | tail -1) / 1000))
lg_log "healthy burst of $N: slowest open_session ${base} ms (the baseline)"
lg_freeze "$LOGIND_PID"

t0=$(date +%s%N)
pids=""
for i in $(seq 1 "$N"); do
        lg_driver guarded >"$LG_TMP/l$i.out" 2>&1 &
        pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
wall=$((($(date +%s%N) - t0) / 1000000))
lg_log "$N concurrent logins with logind frozen took ${wall} ms wall time"

ok=$(cat "$LG_TMP"/l*.out | grep -c '^open_rc=PAM_SUCCESS$')
lg_assert_eq "$ok" "$N" "all $N logins completed with success"
max=$(cat "$LG_TMP"/l*.out | sed -n 's/^open_usec=//p' | sort -n | tail -1)
lg_assert_within "$((max / 1000))" 1000 "$base" "slowest open_session within the deadline (ms)"
fb=$(cat "$LG_TMP"/l*.out | grep -c '^env.LOGINGUARD_FALLBACK=')
lg_assert_eq "$fb" "$N" "every login fell back (cut or skipped)"
bfile=$LG_TMP/state/breaker-pam_systemd
bkey() { "$B/tests/status-tool" breaker "$bfile" | sed -n "s/^$1=//p"; }
lg_assert_eq "$(bkey STATE)" open "breaker open afterwards"
cuts=$(cat "$LG_TMP"/l*.out | grep -c '^env.LOGINGUARD_FALLBACK=deadline$')
lg_assert_eq "$(bkey CUTS)" "$cuts" "every cut counted, exactly"
lg_assert_eq "$(bkey FALLBACKS)" "$N" "every fallback counted, exactly"
lg_thaw "$LOGIND_PID"

# Thawed: wait out the cooldown, then a burst. Exactly one trial runs, its
# success lands although the others race it, and the breaker closes.
trials0=$(bkey TRIALS)
lg_wait_cooldown "$bfile" 3
pids=""
for i in $(seq 1 16); do
        lg_driver guarded --ops open >"$LG_TMP/t$i.out" 2>&1 &
        pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
lg_assert_eq "$(($(bkey TRIALS) - trials0))" 1 "one trial in the burst after the thaw"
lg_assert_eq "$(bkey STATE)" closed "the trial's success landed: breaker closed within one cooldown"
out=$(lg_driver guarded)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "the next login is registered"
lg_done
