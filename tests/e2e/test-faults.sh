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
# take the table over: each guardd is killed only after it took over (a
# guardd killed before it ever watches is a crash loop, which leaves the
# armed calls to whichever guardd comes next), and each take-over is timed
# during the storm itself: beside a CPU hog a sanitizer build took 3 s,
# against 0.47 s with nothing running.
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
        for ((i = 1; i <= $1; i++)); do
                grep -q '^open_rc=PAM_SUCCESS$' "$LG_TMP/$2.$i" ||
                        lg_log "$2 login $i failed: $(tr '\n' ' ' <"$LG_TMP/$2.$i" | head -c 400)"
        done
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
# guardd killed during waves of 40 logins, each time after it took the
# table over and a random part of the period (so kills land mid-cut too),
# and restarted at once. A guardd killed before it ever watches would
# leave the armed calls to the one after it: that is a crash loop, which
# systemd's start limit ends, not a take-over. Each take-over is timed
# here, under the storm's load: the bound below is that, not the idle one.
: >"$LG_TMP/takeovers"
took_over() { # PID: the status is written by PID, watching the table
        local s
        s=$(cat "$GUARDD_STATUS" 2>/dev/null)
        grep -qx "GUARDD_PID=$1" <<<"$s" && grep -qx "WATCHDOG=guardd" <<<"$s"
}
(
        pid=$(pgrep -f "guardd --config $LG_TMP/guardd.conf" | head -n 1)
        while [ ! -e "$LG_TMP/stop" ]; do
                sleep "$(awk -v p="$((RANDOM % period))" 'BEGIN {printf "%.3f", p / 1000}')"
                kill -KILL "$pid" 2>/dev/null
                t0=$(date +%s%N)
                "$B/guardd" --config "$LG_TMP/guardd.conf" >>"$LG_TMP/guardd.log" 2>&1 &
                pid=$!
                echo "$pid" >"$LG_TMP/killer.pid"
                lg_until 60 took_over "$pid" || echo "no take-over by $pid in 60 s" >>"$LG_TMP/killer.err"
                echo $((($(date +%s%N) - t0) / 1000000)) >>"$LG_TMP/takeovers"
        done
) &
killer=$!
lg_track "$killer"
# At least 5 waves, and more until guardd was taken over 5 times (30 at
# most): waves of logins that skip a frozen logind are short.
total=0 worst=0 w=0
while :; do
        w=$((w + 1))
        storm 40 "wave$w"
        total=$((total + STORM_OK))
        [ "$STORM_MAX_MS" -gt "$worst" ] && worst=$STORM_MAX_MS
        lg_log "wave $w: $STORM_OK of 40 succeeded, slowest $STORM_MAX_MS ms"
        [ "$w" -ge 5 ] && [ "$(wc -l <"$LG_TMP/takeovers")" -ge 5 ] && break
        [ "$w" -ge 30 ] && break
done
touch "$LG_TMP/stop"
wait "$killer" 2>/dev/null
pkill -KILL -f "guardd --config $LG_TMP/guardd.conf" 2>/dev/null
restarts=$(wc -l <"$LG_TMP/takeovers")
storm_takeover=$(sort -n "$LG_TMP/takeovers" | tail -n 1)
lg_log "$restarts restarts during the storm; slowest take-over ${storm_takeover} ms (idle: ${takeover} ms)"
[ -e "$LG_TMP/killer.err" ] && lg_fail "every restarted guardd took the table over: $(cat "$LG_TMP/killer.err")"
[ "$restarts" -ge 5 ] || lg_fail "guardd was killed at least 5 times during the storm (got $restarts)"
lg_assert_eq "$total" $((40 * w)) "guardd killed during a storm: all $((40 * w)) logins of $w waves succeeded"
lg_assert_within "$worst" $((deadline + storm_takeover)) "$base" "guardd killed during a storm: none waited more than the deadline and a take-over (ms)"

# Status file deleted (guardd gone): the breaker and the deadline decide.
# Gone means its heartbeat is stale: a login that armed its slot in the
# 300 ms after guardd's last beat relies on guardd, and a SIGKILLed guardd
# that nothing restarts does not cut it (systemd restarts guardd.service
# after 1 s and the new one adopts the slot: the storm above; the window is
# in docs/design.md). Without this wait, 5 of 20 logins of a fresh run
# armed in that window and waited for the driver's timeout.
lg_wait_watch_stale 10 || lg_fail "guardd's heartbeat goes stale once it is killed"
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
