#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Faults around the login path, logind frozen throughout: guardd SIGKILLed
# and restarted during a login storm; the status file deleted; the state
# directory on a full tmpfs. No login is refused and none waits more than
# the deadline plus a slack: twice the slowest login of the same storm
# with logind healthy, timed in this run, and at least 1 s (40 logins at
# once on 2 cores queue for the CPU; that is the machine, not loginguard).
# While guardd is killed, a call it watched waits for the next guardd to
# take the table over: that take-over time is measured in this run too
# (a sanitizer build starts several times slower), and the killer leaves
# each guardd twice that long, as systemd's RestartSec= would.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_login_stack
LG_INTERVAL_MS=200 LG_PROBE_TIMEOUT_MS=200
lg_guardd_conf status_path=/run/loginguard/status state_dir=/run/loginguard
lg_start_guardd
: >"$LG_TMP/empty.conf"
deadline=1000
LG_SLACK_MIN_MS=1000
lg_service login "$(lg_module_line optional "conf=$LG_TMP/empty.conf deadline=$deadline" wrap="$PAM_SYSTEMD")" \
        "session required pam_permit.so"

storm() { # N TAG: N concurrent logins; sets STORM_OK, STORM_MAX_MS
        local i pids=""
        for ((i = 1; i <= $1; i++)); do
                lg_driver login >"$LG_TMP/$2.$i" 2>&1 &
                pids="$pids $!"
        done
        # shellcheck disable=SC2086
        wait $pids
        STORM_OK=$(cat "$LG_TMP/$2".* | grep -c '^open_rc=PAM_SUCCESS$')
        STORM_MAX_MS=$(($(cat "$LG_TMP/$2".* | sed -n 's/^open_usec=//p' | sort -n | tail -1) / 1000))
}

storm 40 healthy
lg_assert_eq "$STORM_OK" 40 "healthy storm: all 40 logins succeeded"
base=$STORM_MAX_MS
lg_log "healthy storm of 40: slowest ${base} ms (the baseline)"

# From exec to watching the table (WATCHDOG=guardd in a status it wrote).
kill "$GUARDD_PID"
wait "$GUARDD_PID" 2>/dev/null
takeover=0
for i in 1 2 3; do
        rm -f /run/loginguard/status
        t0=$(date +%s%N)
        "$B/guardd" --config "$LG_TMP/guardd.conf" >>"$LG_TMP/guardd.log" 2>&1 &
        lg_track $!
        lg_wait_status WATCHDOG guardd 20 || lg_fail "a restarted guardd watches within 20 s"
        t=$((($(date +%s%N) - t0) / 1000000))
        [ "$t" -gt "$takeover" ] && takeover=$t
        pkill -KILL -f "guardd --config $LG_TMP/guardd.conf"
        sleep 0.2
done
period=$(lg_max 300 $((2 * takeover)))
lg_log "a restarted guardd watches after ${takeover} ms (slowest of 3); killed every ${period} ms"
"$B/guardd" --config "$LG_TMP/guardd.conf" >>"$LG_TMP/guardd.log" 2>&1 &
lg_track $!
lg_wait_status WATCHDOG guardd 20

lg_freeze "$LOGIND_PID"
# guardd killed and restarted every $period ms while 5 waves of 40 logins run.
(
        while [ ! -e "$LG_TMP/stop" ]; do
                sleep "$(awk -v p="$period" 'BEGIN {printf "%.3f", p / 1000}')"
                pkill -KILL -f "guardd --config $LG_TMP/guardd.conf" 2>/dev/null
                "$B/guardd" --config "$LG_TMP/guardd.conf" >>"$LG_TMP/guardd.log" 2>&1 &
                disown
        done
) &
killer=$!
lg_track "$killer"
total=0 worst=0
for w in 1 2 3 4 5; do
        storm 40 "wave$w"
        total=$((total + STORM_OK))
        [ "$STORM_MAX_MS" -gt "$worst" ] && worst=$STORM_MAX_MS
done
touch "$LG_TMP/stop"
wait "$killer" 2>/dev/null
pkill -KILL -f "guardd --config $LG_TMP/guardd.conf" 2>/dev/null
lg_assert_eq "$total" 200 "guardd killed during a storm: all 200 logins succeeded"
lg_assert_within "$worst" $((deadline + takeover)) "$base" "guardd killed during a storm: none waited more than the deadline and a take-over (ms)"

# Status file deleted (guardd gone): the breaker and the deadline decide.
rm -f /run/loginguard/status /run/loginguard/breaker-pam_systemd
storm 20 nostatus
lg_assert_eq "$STORM_OK" 20 "status deleted: all logins succeeded"
lg_assert_within "$STORM_MAX_MS" "$deadline" "$base" "status deleted: none waited more than the deadline (ms)"

# State directory on a full tmpfs: the breaker cannot write, logins go on.
mkdir -p "$LG_TMP/fullstate"
mount -t tmpfs -o size=64k,mode=0755 tmpfs "$LG_TMP/fullstate"
dd if=/dev/zero of="$LG_TMP/fullstate/filler" bs=4k count=100 2>/dev/null
lg_service full "$(lg_module_line optional "conf=$LG_TMP/empty.conf deadline=$deadline state_dir=$LG_TMP/fullstate status=/run/loginguard/status" wrap="$PAM_SYSTEMD")" \
        "session required pam_permit.so"
for i in 1 2 3; do
        out=$(lg_driver full)
        lg_assert_eq "$(lg_kv "$out" open_rc)" PAM_SUCCESS "full state tmpfs, login $i: success"
        lg_assert_within "$(($(lg_kv "$out" open_usec) / 1000))" "$deadline" "$base" "full state tmpfs, login $i: within the deadline (ms)"
done
lg_thaw "$LOGIND_PID"
out=$(lg_driver full)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "full state tmpfs, logind back: login registered"
umount "$LG_TMP/fullstate"
lg_done
