#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# guardd as the watchdog of wrapped calls (the watch table, issue 13 item
# 6), on the private bus with the logind double:
#   healthy: both calls watched by guardd, no thread, nothing left armed;
#   five transactions in one process: the module stays loaded after
#     pam_end and guardd's table is mapped once;
#   logind frozen: open_session cut by guardd at the deadline; the same
#     for a login in a pid namespace below guardd's;
#   dbus-daemon frozen: the same;
#   logind frozen after open_session: close_session cut by guardd;
#   logind taking the session and answering late: guardd waits (patience),
#     the login is registered, nothing cut;
#   guardd stopped (SIGSTOP): once its heartbeat is stale, logins use
#     their own thread and are cut at the deadline; a call handed to guardd
#     just before it stopped is cut once it continues;
#   guardd killed during a call: the next guardd takes the table over and
#     cuts the call;
#   a login in a pid namespace below guardd's: its own thread cuts it
#     (pids in the table are guardd's, and the kernel names guardd's lock
#     on the table to it by no pid; guardd never searches /proc for it);
#   a slot whose claimer is gone and whose pid another process got (the
#     logind double, started after the claim): never cut, freed at once;
#   the module's status path differs from guardd's: the module reads its
#     own file, not guardd's verdict in the table;
#   SIGTERM with a call armed: no new calls taken, the armed one still cut,
#     then guardd exits;
#   150 logins at once, more than the table holds: all cut at the
#     deadline, by guardd or their own thread, nothing left armed;
#   guardd_watchdog=no (module or guardd): the module's thread watches.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_login_stack
lg_start_devlog "$LG_TMP/devlog.sock"
# guardd's probe timeout as shipped (1 s), not the 200 ms of the probe
# tests: this test is about the watch table, and with a CPU hog beside it a
# starved guardd missed 200 ms and published skip while logind was fine
# (guardd's lateness read as logind's: issue 24).
LG_INTERVAL_MS=200 LG_PROBE_TIMEOUT_MS=1000
lg_guardd_conf
lg_start_guardd
: >"$LG_TMP/empty.conf"
table=$LG_TMP/state/watch
opts="conf=$LG_TMP/empty.conf state_dir=$LG_TMP/state status=$GUARDD_STATUS sessions_dir=$LG_TMP/sessions-dir devlog_path=$LG_TMP/devlog.sock debug deadline=1000 patience=6000"
lg_service login "$(lg_module_line optional "$opts" wrap="$PAM_SYSTEMD")" "session required pam_permit.so"
lg_service stock "session optional $PAM_SYSTEMD" "session required pam_permit.so"
lg_service threaded "$(lg_module_line optional "$opts guardd_watchdog=no" wrap="$PAM_SYSTEMD")" "session required pam_permit.so"
watch() { "$B/tests/status-tool" watch "$table"; }
watch_key() { watch | sed -n "s/^$1=//p"; }
# The debug line of the last call to ENTRY since the mark (set before each call):
# "... watched by guardd|a thread ...". The /dev/log double records after the
# call has returned, later still on a loaded machine: wait for the line.
REC_MARK=0
mark() { REC_MARK=$(wc -l <"$LG_TMP/devlog.rec" 2>/dev/null || echo 0); }
since_mark() { tail -n +"$((REC_MARK + 1))" "$LG_TMP/devlog.rec" 2>/dev/null | grep -aE "$1 answered -?[0-9]+ after"; }
last_debug() {
        lg_until 10 since_mark "$1" >/dev/null
        since_mark "$1" | tail -n 1
}
# start_call OUT: a driver started and ready (pam_start done), its
# open_session waiting for go_call; sets drv. go_call lets it run and
# returns once its slot is armed (or the call has ended).
start_call() {
        lg_start_go "$1" lg_driver login --ops open
        drv=$LG_GO_PID
}
armed() { watch | grep -q '^slot=.* state=armed '; }
go_call() {
        lg_go
        lg_until 10 sh -c "! kill -0 $drv 2>/dev/null || '$B/tests/status-tool' watch '$table' | grep -q '^slot=.* state=armed '"
}
wait_fresh() { # 0|1 TIMEOUT_S
        local i
        for ((i = 0; i < $2 * 20; i++)); do
                [ "$(watch_key FRESH)" = "$1" ] && return 0
                sleep 0.05
        done
        return 1
}
settle() {
        lg_thaw "$LOGIND_PID"
        lg_wait_allow_after 15 || lg_log "settle: guardd did not allow logind again within 15 s"
        rm -f "$LG_TMP/state"/breaker-*
}

lg_check "guardd: allow" lg_wait_status LOGIN1_ACTION allow 5
lg_check "guardd watches: fresh heartbeat" wait_fresh 1 5
lg_assert_eq "$(lg_status_key WATCHDOG)" guardd "status: WATCHDOG=guardd"
# How a login learns it shares guardd's pid namespace: guardd's lock on the
# table, whose holder the kernel names by its pid in the asker's namespace.
lg_assert_eq "$(watch_key GUARDD_PID)" "$GUARDD_PID" "the table names guardd's pid"
lg_assert_eq "$(watch_key HOLDER)" "$GUARDD_PID" "the kernel names guardd as the lock's holder"
lg_assert_eq "$(unshare -p -f "$B/tests/status-tool" watch "$table" | sed -n 's/^HOLDER=//p')" 0 \
        "from a pid namespace below guardd's the holder has no pid"

# --- healthy
calls0=$(watch_key ARMED_TOTAL)
mark
out=$(lg_driver login)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=c[0-9]+$' "healthy: registered"
# The healthy call's time is the baseline of the bounds below; guardd's
# tick (100 ms) and its cut come on top of the deadline, so the slack is
# at least 500 ms.
base=$(($(lg_kv "$out" open_usec) / 1000))
LG_SLACK_MIN_MS=500
lg_assert_match "$(last_debug pam_sm_open_session)" 'watched by guardd' "healthy: open_session watched by guardd"
lg_assert_match "$(last_debug pam_sm_close_session)" 'watched by guardd' "healthy: close_session watched by guardd"
lg_assert_eq "$(lg_kv "$out" threads_after)" "$(lg_kv "$out" threads_before)" "healthy: no thread left"
stock=$(lg_driver stock)
lg_assert_eq "$(($(lg_kv "$out" fds_after) - $(lg_kv "$out" fds_before)))" \
        "$(($(lg_kv "$stock" fds_after) - $(lg_kv "$stock" fds_before)))" "healthy: no fd left beyond stock's own"
lg_assert_eq "$(($(watch_key ARMED_TOTAL) - calls0))" 2 "healthy: two calls handed to guardd"
lg_assert_nomatch "$(watch)" '^slot=' "healthy: no slot left in use"

# --- one process, many transactions (a display manager, a PAM loop):
# libpam dlclose()s the module at each pam_end; it stays mapped (-z
# nodelete), so its per-process state does too and guardd's table is
# mapped once, not once more per transaction (a mapping is never unmapped:
# another thread may use it). By design a login maps it again only when
# guardd's heartbeat is stale, at most once per 5 s (pam_module/watch.c),
# which a starved guardd beside a CPU hog can be: that bounds the count by
# the transactions' wall time, below the one per transaction of the bug.
# A long deadline: nothing here is about cutting a call, however slow.
lg_service login-long "$(lg_module_line optional "${opts/deadline=1000/deadline=120000}" wrap="$PAM_SYSTEMD")" "session required pam_permit.so"
lg_time lg_driver login-long --repeat 5 --maps "$table" >"$LG_TMP/rounds.out"
rounds=$(cat "$LG_TMP/rounds.out")
lg_assert_eq "$(grep -c '^env\.XDG_SESSION_ID=c[0-9]*$' <<<"$rounds")" 5 "five transactions in one process: all registered"
maps=$(sed -n 's/^maps=//p' <<<"$rounds" | tr '\n' ' ')
lg_log "five transactions in $LG_MS ms: guardd's table mapped $maps"
lg_assert_eq "${maps%% *}" 1 "five transactions in one process: guardd's table mapped by the first"
# (1 + one per 5 s of the run) >= the mappings after the last transaction
lg_assert_ge $((1 + LG_MS / 5000)) "$(sed -n 's/^maps=//p' <<<"$rounds" | tail -n 1)" \
        "five transactions in one process: mapped again at most once per 5 s, not per transaction"
rounds=$(lg_driver login-long --repeat 3 --maps /pam_loginguard.so)
lg_assert_ge "$(sed -n 's/^maps=//p' <<<"$rounds" | sort -n | head -n 1)" 1 \
        "after pam_end the module stays mapped (-z nodelete)"

# --- logind frozen: open_session cut by guardd
cuts0=$(grep -c 'cut [0-9]* connection' "$LG_TMP/guardd.log")
# The call is let go just after the freeze (lg_call_frozen): guardd needs a
# probe timeout to say skip, and the watchdog is what is under test.
mark
lg_call_frozen "$LOGIND_PID" "$LG_TMP/frozen.out" lg_driver login --ops open
out=$(cat "$LG_TMP/frozen.out")
ms=$(($(lg_kv "$out" open_usec) / 1000))
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" deadline "logind frozen: cut at the deadline"
lg_assert_ge "$ms" 990 "logind frozen: not before the deadline (ms)"
lg_assert_within "$ms" 1100 "$base" "logind frozen: cut at the deadline + guardd's 100 ms tick (ms)"
lg_assert_match "$(last_debug pam_sm_open_session)" 'answered -?[0-9]+ after [0-9]+ us \(1 cut, waited 0x0, watched by guardd\)' \
        "logind frozen: guardd cut one connection"
lg_assert_ge "$(grep -c 'cut [0-9]* connection' "$LG_TMP/guardd.log")" $((cuts0 + 1)) "guardd logged the cut"
settle

# --- a login in a pid namespace below guardd's: not handed to guardd (the
#     kernel names guardd's lock holder 0 there, above)
mark
lg_call_frozen "$LOGIND_PID" "$LG_TMP/nested.out" \
        timeout -k 5 30 unshare -p -f "$B/tests/pam-driver" --confdir "$LG_TMP/pam.d" --service login --ops open
out=$(cat "$LG_TMP/nested.out")
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" deadline "nested pid namespace: cut at the deadline"
lg_assert_match "$(last_debug pam_sm_open_session)" '1 cut.*watched by a thread' "nested pid namespace: by its own thread"
lg_assert_match "$(last_debug pam_sm_open_session)" 'pam-driver\[1\]' "(the login was pid 1 of its namespace)"
settle

# --- dbus-daemon frozen
mark
lg_call_frozen "$BUS_PID" "$LG_TMP/bus-frozen.out" lg_driver login --ops open
out=$(cat "$LG_TMP/bus-frozen.out")
ms=$(($(lg_kv "$out" open_usec) / 1000))
lg_thaw "$BUS_PID"
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" deadline "dbus-daemon frozen: cut at the deadline"
lg_assert_within "$ms" 1100 "$base" "dbus-daemon frozen: cut at the deadline + guardd's tick (ms)"
lg_assert_match "$(last_debug pam_sm_open_session)" 'watched by guardd' "dbus-daemon frozen: by guardd"
settle

# --- close_session
rm -f "$LG_TMP/hold"
mark
(lg_driver login --hold "$LG_TMP/hold" >"$LG_TMP/close.out") &
drv=$!
lg_wait_for "$LG_TMP/hold.open" 10
lg_freeze "$LOGIND_PID"
touch "$LG_TMP/hold"
wait "$drv"
out=$(cat "$LG_TMP/close.out")
lg_assert_match "$out" '^env\.XDG_SESSION_ID=c[0-9]+$' "close: the session was opened"
lg_assert_within "$(($(lg_kv "$out" close_usec) / 1000))" 1100 "$base" "logind frozen at logout: close_session cut by the deadline (ms)"
lg_assert_match "$(last_debug pam_sm_close_session)" '[1-9][0-9]* cut.*watched by guardd' "close_session cut by guardd"
settle

# --- logind taking the session, answering late: patience, not a cut
kill "$LOGIND_PID"
wait "$LOGIND_PID" 2>/dev/null
lg_start_logind --state-dir "$LG_TMP/sessions-dir" --reply-after-ms 2500
lg_check "guardd: allow (new double)" lg_wait_logind_allowed 10
mark
out=$(lg_driver login --ops open,close)
ms=$(($(lg_kv "$out" open_usec) / 1000))
lg_assert_match "$out" '^env\.XDG_SESSION_ID=c[0-9]+$' "late answer: registered"
lg_assert_nomatch "$out" 'LOGINGUARD_FALLBACK' "late answer: not cut"
lg_assert_ge "$ms" 2400 "late answer: waited for logind (ms)"
lg_assert_match "$(last_debug pam_sm_open_session)" '\(0 cut, waited 0x1, watched by guardd\)' \
        "late answer: guardd waited on logind's session file"
lg_assert_match "$(cat "$LG_TMP/guardd.log")" 'logind is completing its session' "guardd logged why it waited"
kill "$LOGIND_PID"
wait "$LOGIND_PID" 2>/dev/null
lg_start_logind
lg_check "guardd: allow (plain double)" lg_wait_logind_allowed 10

# --- guardd stopped: stale heartbeat -> the module's own thread
kill -STOP "$GUARDD_PID"
lg_check "guardd stopped: heartbeat stale" wait_fresh 0 5
lg_freeze "$LOGIND_PID"
mark
out=$(lg_driver login --ops open)
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" deadline "guardd stopped: still cut at the deadline"
lg_assert_within "$(($(lg_kv "$out" open_usec) / 1000))" 1000 "$base" "guardd stopped: by the thread, at the deadline (ms)"
lg_assert_match "$(last_debug pam_sm_open_session)" 'watched by a thread' "guardd stopped: the module's thread watched"
kill -CONT "$GUARDD_PID"
settle
lg_check "guardd continued: heartbeat fresh" wait_fresh 1 5

# --- a call handed to guardd just before it stopped: cut once it continues
# (The heartbeat is fresh for 300 ms after guardd stops: the driver is
# started first and its call let go right after the stop. logind is frozen
# only after guardd stopped: a running guardd would soon say skip.)
mark
start_call "$LG_TMP/handed.out"
kill -STOP "$GUARDD_PID"
lg_freeze "$LOGIND_PID"
go_call
sleep 2
kill -CONT "$GUARDD_PID"
wait "$drv"
out=$(cat "$LG_TMP/handed.out")
lg_assert_match "$(last_debug pam_sm_open_session)" '1 cut.*watched by guardd' \
        "handed over before guardd stopped: guardd cut it once it continued"
lg_assert_ge "$(($(lg_kv "$out" open_usec) / 1000))" 1900 "handed over: it waited for guardd to continue (ms)"
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" deadline "handed over: the login went on"
settle

# --- guardd killed during a call: the next guardd takes the table over
mark
start_call "$LG_TMP/killed.out"
kill -STOP "$GUARDD_PID"
lg_freeze "$LOGIND_PID"
go_call
lg_check "guardd killed: the call was handed over first" armed
kill -KILL "$GUARDD_PID"
wait "$GUARDD_PID" 2>/dev/null
t0=$(date +%s%N)
lg_start_guardd
wait "$drv"
out=$(cat "$LG_TMP/killed.out")
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" deadline "guardd killed: the call is still cut"
lg_assert_match "$(last_debug pam_sm_open_session)" '1 cut.*watched by guardd' "the new guardd cut it"
lg_assert_within "$((($(date +%s%N) - t0) / 1000000))" 2000 "$base" "guardd killed: cut soon after the new guardd started (ms)"
settle
lg_check "new guardd watches" wait_fresh 1 5

# --- a slot claimed before its pid's process started (its claimer died, the
# pid went to another process: here the logind double) is never acted on
slot=$("$B/tests/status-tool" watch-forge "$table" "$LOGIND_PID" | sed -n 's/^slot=//p')
lg_check "reused-pid slot armed" test -n "$slot"
lg_check "guardd refuses the slot of a reused pid" \
        lg_until 10 grep -q "Watch slot of pid $LOGIND_PID names no process that claimed it" "$LG_TMP/guardd.log"
gone() { ! watch | grep -q "pid=$LOGIND_PID "; }
lg_check "the reused-pid slot is freed (its claimer is gone)" lg_until 10 gone
mark
out=$(lg_driver login)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=c[0-9]+$' "the logind double's bus connection was not cut: logins registered"
lg_assert_eq "$(grep -c "pid $LOGIND_PID: cut" "$LG_TMP/guardd.log")" 0 "guardd cut nothing of the process that got the pid"

# --- the module reads its own status file when it is not guardd's
own=$LG_TMP/own-status
"$B/tests/status-tool" write "$own" LOGIN1=stuck LOGIN1_ACTION=skip
lg_service other "$(lg_module_line optional "${opts/status=$GUARDD_STATUS/status=$own}" wrap="$PAM_SYSTEMD")"
mark
out=$(lg_driver other --ops open)
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" status "another status path: the module follows its own file (skip)"
lg_assert_eq "$(lg_status_key LOGIN1_ACTION)" allow "while guardd's verdict says allow"

# --- guardd's verdict through the table: skip while logind is frozen
lg_freeze "$LOGIND_PID"
lg_check "guardd: skip" lg_wait_status LOGIN1_ACTION skip 15
mark
out=$(lg_driver login --ops open)
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" status "guardd says skip: skipped"
lg_assert_within "$(($(lg_kv "$out" open_usec) / 1000))" 0 "$base" "guardd says skip: at once, no deadline wait (ms)"
settle

# --- SIGTERM with a call armed
start_call "$LG_TMP/term.out"
kill -STOP "$GUARDD_PID"
lg_freeze "$LOGIND_PID"
go_call
lg_check "SIGTERM: the call is armed first" armed
kill -CONT "$GUARDD_PID"
kill -TERM "$GUARDD_PID"
lg_check "SIGTERM: no new calls taken (heartbeat 0)" wait_fresh 0 10
wait "$drv"
out=$(cat "$LG_TMP/term.out")
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" deadline "SIGTERM: the armed call is still cut"
for _ in $(seq 1 50); do kill -0 "$GUARDD_PID" 2>/dev/null || break; sleep 0.1; done
lg_check "SIGTERM: guardd exits once its calls have ended" sh -c "! kill -0 $GUARDD_PID 2>/dev/null"
lg_assert_match "$(cat "$LG_TMP/guardd.log")" 'Stopping once the 1 wrapped call' "guardd said why it waited"
lg_thaw "$LOGIND_PID"
lg_start_guardd
settle

# --- 150 logins at once with logind frozen, more than the table's 128
#     slots: a login that finds none watches its call itself. Every call is
#     cut at the deadline, whoever watched it, and nothing stays armed. (Its
#     own status path: guardd's skip verdict would spare the later ones.)
bopts="conf=$LG_TMP/empty.conf state_dir=$LG_TMP/state status=$LG_TMP/no-status deadline=1000 trip=64 window=1 debug devlog_path=$LG_TMP/devlog.sock"
lg_service burst "$(lg_module_line optional "$bopts" wrap="$PAM_SYSTEMD")" "session required pam_permit.so"
BURST=150

slowest_ms() {
        echo $(($(sed -n 's/^open_usec=//p' "$LG_TMP/$1.all" | sort -n | tail -n 1) / 1000))
}
# log_slowest TAG: the five slowest logins of a burst, each with its
# module's debug line (the wrapped call's own time and who watched it), so
# a failed bound reads without a rerun. It first waits until the /dev/log
# double has recorded a line of every login since the mark (set before the
# burst): a line arriving later would be taken for a later call's.
log_slowest() {
        local f us pid
        lg_until 30 sh -c "[ \$(tail -n +$((REC_MARK + 1)) '$LG_TMP/devlog.rec' | grep -Eac 'pam_sm_open_session (answered|skipped)') -ge $BURST ]" ||
                lg_log "$1: not every login's line arrived"
        for f in "$LG_TMP/$1".[0-9]*; do
                echo "$(lg_kv "$(cat "$f")" open_usec) $f"
        done | sort -n | tail -n 5 | while read -r us f; do
                pid=$(lg_kv "$(cat "$f")" pid)
                lg_log "$1: open_session $((us / 1000)) ms, $(grep '^env.LOGINGUARD_FALLBACK=' "$f"): $(tail -n +$((REC_MARK + 1)) "$LG_TMP/devlog.rec" | grep -a "\[$pid\]: .*pam_sm_open_session answered" | sed 's/.*pam_sm_open_session //')"
        done
}

# The same burst with logind healthy first (and a deadline no healthy call
# reaches): the slowest of those logins is what 150 logins at once cost this
# machine in this run (2 cores, maybe a sanitizer build, maybe a loaded CI
# host); a fixed allowance would measure the machine instead (issue 27).
# The cut burst costs more than that: its logins do not finish one by one
# as logind answers but all wake at the deadline together, and guardd, one
# process, cuts up to 128 of them among 150 runnable ones (each a
# sanitizer's exit-time leak scan too). Measured: the normal build, guardd
# at most 233 ms past the deadline; the sanitizer build beside a CPU hog, up
# to 3.4 s; a CI sanitizer run, a slowest cut login of 8.8 s against 3.8 s
# healthy. So the bound is the deadline plus three times the healthy
# burst's slowest. A missed cut is caught apart: it waits for the bus's
# 120 s reply timeout and the driver is killed at 60 s ("every login went
# on" fails). How late guardd cuts in a storm is a figure of bench/burst.sh.
lg_service burst-base "$(lg_module_line optional "${bopts/deadline=1000/deadline=120000}" wrap="$PAM_SYSTEMD")" "session required pam_permit.so"
mark
lg_burst burst-base healthy "$BURST"
lg_assert_eq "$(grep -c '^env.XDG_SESSION_ID=c[0-9]*$' "$LG_TMP/healthy.all")" "$BURST" "burst, logind healthy: every login registered"
queue=$(slowest_ms healthy)
lg_log "burst, logind healthy: the slowest login took $queue ms"
log_slowest healthy
settle

calls0=$(watch_key ARMED_TOTAL)
lg_freeze "$LOGIND_PID"
mark
lg_burst burst cut "$BURST"
lg_assert_eq "$(grep -c '^open_rc=PAM_SUCCESS$' "$LG_TMP/cut.all")" "$BURST" "burst: every login went on"
# trip=64 within window=1 s: on a slow machine (a sanitizer build) the last
# logins of the burst may start their call after 64 cuts and rightly skip
# pam_systemd on the open breaker. Every other login was cut, and the
# breaker cannot open before 64 were.
cut=$(grep -c '^env.LOGINGUARD_FALLBACK=deadline$' "$LG_TMP/cut.all")
skipped=$(grep -c '^env.LOGINGUARD_FALLBACK=breaker$' "$LG_TMP/cut.all")
lg_log "burst: $cut cut at the deadline, $skipped skipped on the breaker"
log_slowest cut
for f in "$LG_TMP"/cut.[0-9]*; do # anything else, whole, so a failure can be read
        grep -Eq '^env.LOGINGUARD_FALLBACK=(deadline|breaker)$' "$f" || lg_log "burst, other outcome: $(tr '\n' ' ' <"$f")"
done
lg_assert_eq "$((cut + skipped))" "$BURST" "burst: every call cut at the deadline, or skipped once the breaker opened"
lg_assert_ge "$cut" 64 "burst: at least trip=64 calls cut before the breaker opened"
lg_assert_within "$(slowest_ms cut)" $((1000 + 3 * queue)) "$base" "burst: the slowest login returned within the deadline + 3 x the healthy burst's slowest ($queue ms)"
handed=$(($(watch_key ARMED_TOTAL) - calls0))
lg_log "burst: $handed of $BURST calls handed to guardd, the rest watched by their own thread"
lg_assert_ge "$handed" 1 "burst: guardd watched some of them"
lg_assert_nomatch "$(watch)" '^slot=' "burst: no slot left in use"
settle

# --- guardd_watchdog=no
mark
out=$(lg_driver threaded)
lg_assert_match "$(last_debug pam_sm_open_session)" 'watched by a thread' "module guardd_watchdog=no: its own thread"
kill "$GUARDD_PID"
wait "$GUARDD_PID" 2>/dev/null
lg_guardd_conf guardd_watchdog=no
lg_start_guardd
lg_check "guardd_watchdog=no: WATCHDOG=thread" lg_wait_status WATCHDOG thread 5
lg_assert_eq "$(lg_status_key WATCHDOG_REASON)" "guardd_watchdog=no" "and says why"
lg_check "guardd_watchdog=no: no heartbeat" wait_fresh 0 5
mark
out=$(lg_driver login)
lg_assert_match "$(last_debug pam_sm_open_session)" 'watched by a thread' "guardd not watching: the module's thread"
lg_done
