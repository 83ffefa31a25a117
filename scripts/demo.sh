#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# make demo: replays the incidents twice and times logins through the
# distribution's pam_systemd.so, stock and wrapped by pam_loginguard:
#  1. on doubles, in a private mount namespace (its own /run, a private
#     dbus-daemon at /run/dbus/system_bus_socket, the logind and /dev/log
#     doubles, guardd): quick, and the faults the real stack cannot show;
#  2. on the real stack, when this machine can boot it: systemd 252 as PID 1
#     in systemd-nspawn with real logind, dbus, journald, sshd and guardd.service
#     (tests/realstack/test-rs-logins.sh and test-rs-incidents.sh).
# Every row names the stack it ran on. Nothing on the host is changed.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD

if [ "$(id -u)" != 0 ]; then
        echo "make demo needs root: it runs in a private mount namespace (unshare -m) with its own /run."
        exit 1
fi
if [ -z "${LG_IN_NS:-}" ]; then
        LG_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi

. tests/lib/harness.sh
lg_enter_namespace
lg_setup
lg_find_pam_systemd

if [ -t 1 ]; then
        BOLD=$'\e[1m' RED=$'\e[31m' GREEN=$'\e[32m' YELLOW=$'\e[33m' DIM=$'\e[2m' OFF=$'\e[0m'
else
        BOLD="" RED="" GREEN="" YELLOW="" DIM="" OFF=""
fi
say() { printf '%s\n' "$*"; }
step() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$OFF"; }
ROWS=()
STACK="logind double"
# Each row's claim is checked; a failed check is printed, and the demo
# exits non-zero at the end (a demo that tells a wrong story is a failure).
DEMO_FAILS=0
expect() { # WHAT COMMAND...
        local what=$1
        shift
        "$@" && return 0
        DEMO_FAILS=$((DEMO_FAILS + 1))
        say "  ${RED}FAILED: ${what}${OFF}"
}
fallback_is() { [ "$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)" = "$1" ]; }
row() { ROWS+=("$(printf '%-20s %-58s %12s  %s' "$STACK" "$1" "$2" "$3")"); }
t_start=$(date +%s)

# The real-stack replays are the tests themselves; their "# row|" lines
# become rows here. Without nspawn (or root, or overlayfs) the reason is
# printed and the double rows stand alone.
real_stack() {
        local t log rc why cache=/var/cache/loginguard/realstack/bookworm
        [ -e "$cache/.loginguard-ready" ] ||
                say "  first run: building the bookworm image with debootstrap (~1 min, then cached in $cache)"
        for t in test-rs-logins.sh test-rs-incidents.sh; do
                log=$LG_TMP/$t.log
                say "  tests/realstack/$t ..."
                t0=$(date +%s)
                LG_IN_NS="" bash "tests/realstack/$t" >"$log" 2>&1
                rc=$?
                if [ "$rc" = 77 ]; then
                        why=$(sed -n 's/^SKIP[: -]*//p; s/^# SKIP[: -]*//p' "$log" | head -n 1)
                        say "  ${YELLOW}real stack not available here: ${why:-see $log}${OFF}; the rows above ran on the doubles"
                        return 0
                fi
                say "    $(grep -c '^ok' "$log") checks passed, $(grep -c '^FAIL' "$log") failed, $(($(date +%s) - t0)) s"
                grep '^FAIL' "$log" | head -n 5 | sed 's/^/    /'
                if [ "$rc" != 0 ]; then
                        DEMO_FAILS=$((DEMO_FAILS + 1))
                        say "  ${RED}FAILED: tests/realstack/$t (exit $rc, log $log)${OFF}"
                fi
                while IFS='|' read -r _ stack scen time note; do
                        STACK=$stack row "$scen" "$time" "$note"
                done < <(grep '^# row|' "$log")
        done
}

DEADLINE=${DEMO_DEADLINE_MS:-2000}
CAP=${DEMO_STOCK_CAP_S:-10}
: >"$LG_TMP/empty.conf"
opts="conf=$LG_TMP/empty.conf deadline=$DEADLINE"
lg_service stock "session required pam_permit.so" "session optional $PAM_SYSTEMD"
lg_service guarded "session required pam_permit.so" "$(lg_module_line optional "$opts" wrap="$PAM_SYSTEMD")"

login() { # SERVICE CAP_S -> OUT, MS
        local t0 t1
        t0=$(date +%s%N)
        OUT=$(timeout -s KILL "$2" "$B/tests/pam-driver" --confdir "$LG_TMP/pam.d" --service "$1" --ops open 2>&1)
        t1=$(date +%s%N)
        MS=$(((t1 - t0) / 1000000))
}
verdict() { "$B/guardd" status --nagios | head -n 1 | cut -d'|' -f1; }
show_verdict() {
        local v
        v=$(verdict)
        case $v in
        *CRITICAL*) say "  guardd status: ${RED}${v}${OFF}" ;;
        *WARNING*) say "  guardd status: ${YELLOW}${v}${OFF}" ;;
        *) say "  guardd status: ${GREEN}${v}${OFF}" ;;
        esac
}

step "Setting up: private /run, dbus-daemon on /run/dbus/system_bus_socket, logind and /dev/log doubles, guardd"
lg_start_bus /run/dbus/system_bus_socket
lg_start_logind
lg_start_devlog "$LG_TMP/devlog.sock"
LG_INTERVAL_MS=500 LG_PROBE_TIMEOUT_MS=500
lg_guardd_conf status_path=/run/loginguard/status state_dir=/run/loginguard devlog_stuck_ms=1000 \
        devlog_remedy=none devlog_replay_rate=200 queue_skip_bytes=4000000
lg_start_guardd
lg_wait_status LOGIN1_ACTION allow 10
say "  bus pid $BUS_PID, logind double pid $LOGIND_PID, /dev/log double pid $DEVLOG_PID, guardd pid $GUARDD_PID"
say "  pam_systemd: $PAM_SYSTEMD"
show_verdict

step "(a) Healthy logind"
login stock 30
say "  stock pam_systemd:   $(lg_kv "$OUT" open_rc), session $(lg_kv "$OUT" env.XDG_SESSION_ID), ${GREEN}${MS} ms${OFF}"
row "healthy, stock pam_systemd" "${MS} ms" "session $(lg_kv "$OUT" env.XDG_SESSION_ID)"
expect "healthy stock login registered" test -n "$(lg_kv "$OUT" env.XDG_SESSION_ID)"
login guarded 30
say "  pam_loginguard:      $(lg_kv "$OUT" open_rc), session $(lg_kv "$OUT" env.XDG_SESSION_ID), ${GREEN}${MS} ms${OFF}"
row "healthy, pam_loginguard wrap=pam_systemd.so" "${MS} ms" "session $(lg_kv "$OUT" env.XDG_SESSION_ID)"
expect "healthy wrapped login registered" test -n "$(lg_kv "$OUT" env.XDG_SESSION_ID)"

step "(b) logind frozen (SIGSTOP), like the spinning systemd-logind of incident 1"
lg_freeze "$LOGIND_PID"
t_freeze=$(date +%s%N)
say "  stock pam_systemd, capped at ${CAP} s (Debian 12 would wait 120 s) ..."
login stock "$CAP"
if [ -z "$(lg_kv "$OUT" open_rc)" ]; then
        say "  stock pam_systemd:   ${RED}still blocked after ${MS} ms${OFF} - killed; it would wait 120 s"
        row "logind frozen, stock pam_systemd" "> ${MS} ms" "killed at the cap; waits 120 s"
else
        row "logind frozen, stock pam_systemd" "${MS} ms" "$(lg_kv "$OUT" open_rc)"
fi
lg_wait_status LOGIN1_ACTION skip 15
show_verdict
login guarded 30
say "  pam_loginguard:      $(lg_kv "$OUT" open_rc), ${GREEN}${MS} ms${OFF}, LOGINGUARD_FALLBACK=$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)"
say "  ${DIM}$(lg_kv "$OUT" msg.info)${OFF}"
row "logind frozen, pam_loginguard (guardd says skip)" "${MS} ms" "fallback $(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)"
expect "guardd's skip: LOGINGUARD_FALLBACK=status" fallback_is status
# guardd stopped: its verdict in the watch table counts while its heartbeat
# is fresh (300 ms), so the rows below wait until it is stale; no breaker
# left from before, so the first two logins are real cuts.
rm -f /run/loginguard/status /run/loginguard/breaker-pam_systemd
kill -STOP "$GUARDD_PID"
stale() { "$B/tests/status-tool" watch /run/loginguard/watch 2>/dev/null | grep -q '^FRESH=0'; }
lg_until 10 stale
say "  ${DIM}and with guardd stopped too (status removed, its heartbeat stale), the module decides alone:${OFF}"
login guarded 30
say "  pam_loginguard 1st:  $(lg_kv "$OUT" open_rc), ${YELLOW}${MS} ms${OFF}, LOGINGUARD_FALLBACK=$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)"
row "logind frozen, no guardd, 1st login (cut)" "${MS} ms" "deadline ${DEADLINE} ms"
expect "1st login without guardd: cut at the deadline (LOGINGUARD_FALLBACK=deadline)" fallback_is deadline
expect "1st login without guardd: took the deadline (${MS} >= ${DEADLINE} ms)" test "$MS" -ge "$DEADLINE"
login guarded 30
say "  pam_loginguard 2nd:  $(lg_kv "$OUT" open_rc), ${YELLOW}${MS} ms${OFF}, LOGINGUARD_FALLBACK=$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)"
row "logind frozen, no guardd, 2nd login (cut)" "${MS} ms" "breaker trips (trip=2)"
expect "2nd login without guardd: cut at the deadline" fallback_is deadline
expect "2nd login without guardd: took the deadline (${MS} >= ${DEADLINE} ms)" test "$MS" -ge "$DEADLINE"
login guarded 30
say "  pam_loginguard 3rd:  $(lg_kv "$OUT" open_rc), ${GREEN}${MS} ms${OFF}, LOGINGUARD_FALLBACK=$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)"
row "logind frozen, no guardd, later logins" "${MS} ms" "breaker open: skipped"
expect "3rd login without guardd: the breaker skips" fallback_is breaker
kill -CONT "$GUARDD_PID"
lg_thaw "$LOGIND_PID"
lg_wait_status LOGIN1_ACTION allow 15
rm -f /run/loginguard/breaker-pam_systemd
say "  logind thawed: $(verdict)"

step "(c) /dev/log reader stopped: every writer blocks (incident 5)"
lg_freeze "$DEVLOG_PID"
lg_wait_status DEVLOG stuck 10
pids=""
for i in $(seq 1 40); do
        logger -u "$LG_TMP/devlog.sock" -d -t demo "message-$i" 2>/dev/null &
        pids="$pids $!"
done
# Until guardd has counted them (loggers take a loaded machine a while to start).
lg_wait_status_ge DEVLOG_BLOCKED_WRITERS $((40 - $(cat /proc/sys/net/unix/max_dgram_qlen))) 15
show_verdict
say "  reader: $(lg_status_key DEVLOG_READER_COMM) pid $(lg_status_key DEVLOG_READER_PID) state $(lg_status_key DEVLOG_READER_STATE);" \
        "$(lg_status_key DEVLOG_BLOCKED_WRITERS) tasks blocked writing (top: $(lg_status_key DEVLOG_TOP_WRITERS))"
row "/dev/log reader stopped: blocked writers counted" "$(lg_status_key DEVLOG_BLOCKED_WRITERS) tasks" "reader $(lg_status_key DEVLOG_READER_COMM), state $(lg_status_key DEVLOG_READER_STATE)"
expect "blocked writers counted" test "$(lg_status_key DEVLOG_BLOCKED_WRITERS)" -ge 1
say "  turning on devlog_remedy=drain (SIGHUP) ..."
sed -i 's/^devlog_remedy = none$/devlog_remedy = drain/' "$LG_TMP/guardd.conf"
t0=$(date +%s%N)
kill -HUP "$GUARDD_PID"
# shellcheck disable=SC2086
wait $pids
woke=$((($(date +%s%N) - t0) / 1000000))
lg_wait_status DEVLOG_REMEDY drain 5
say "  drain: ${GREEN}40 blocked writers woke in ${woke} ms${OFF}: $(lg_status_key DEVLOG_REMEDY_RESULT)"
expect "the drain spooled messages" test "$(lg_status_key DEVLOG_SPOOLED)" -ge 1
row "/dev/log reader stopped: 40 blocked writers woken by drain" "${woke} ms" "$(lg_status_key DEVLOG_SPOOLED) messages spooled"
lg_thaw "$DEVLOG_PID"
t0=$(date +%s%N)
for _ in $(seq 1 200); do [ "$(grep -c 'demo.*message-' "$LG_TMP/devlog.rec")" -ge 40 ] && break; sleep 0.1; done
n=$(grep -c 'demo.*message-' "$LG_TMP/devlog.rec")
dup=$(grep -o 'message-[0-9]*' "$LG_TMP/devlog.rec" | sort | uniq -d | wc -l)
say "  reader resumed: ${GREEN}${n} of 40 messages delivered${OFF} (${dup} duplicates) after replay"
row "/dev/log reader resumed: replay delivers" "$((($(date +%s%N) - t0) / 1000000)) ms" "$n of 40, $dup duplicates"
expect "all 40 messages delivered after the replay" test "$n" = 40
expect "no message delivered twice" test "$dup" = 0

step "(d) 20,000 leaked sessions and a flooded bus queue (incidents 1 and 3)"
(cd "$LG_TMP/sessions-dir" && seq 1 20000 | sed 's/^/c/' | xargs touch)
expect "20,000 session entries counted" lg_wait_status SESSIONS 20000 15
say "  sessions on disk: $(lg_status_key SESSIONS); round time $(lg_status_key GUARDD_ROUND_USEC) us"
show_verdict
lg_freeze "$LOGIND_PID"
"$B/tests/bus-flood" --count 1500 --size 4000 >/dev/null 2>&1
expect "the flood is seen: LOGIN1_QUEUED_BYTES past 4,000,000" lg_wait_status_ge LOGIN1_QUEUED_BYTES 4000000 15
expect "logins skip logind while it lasts" lg_wait_status LOGIN1_ACTION skip 15
say "  flooded: bus holds $(lg_status_key LOGIN1_QUEUED_BYTES) bytes for logind (skip threshold 4000000)"
show_verdict
row "20,000 session entries + 6 MB queued for logind" "$(lg_status_key LOGIN1_ACTION)" "$(lg_status_key OVERALL)"
lg_thaw "$LOGIND_PID"

step "Real stack: systemd as PID 1 in systemd-nspawn"
real_stack
step "Timings"
printf '%s%-20s %-58s %12s  %s%s\n' "$BOLD" "stack" "scenario" "time" "note" "$OFF"
for r in "${ROWS[@]}"; do say "$r"; done
say ""
say "Demo took $(($(date +%s) - t_start)) s. Everything ran in a private mount namespace or a container: the"
say "host's /run, /etc/pam.d and system bus were not touched. Tests: make check. Numbers: docs/BENCHMARKS.md."
if [ "$DEMO_FAILS" -gt 0 ]; then
        say "${RED}${BOLD}The demo FAILED: ${DEMO_FAILS} of its checks did not hold (see FAILED above).${OFF}"
        exit 1
fi
