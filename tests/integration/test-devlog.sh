#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Incident 5 with the /dev/log double: a stopped reader is full then
# stuck; guardd names it and counts the blocked writers, connected or not;
# `resume` wakes it; `drain` wakes the writers within 5 s and, once the
# reader reads again, replays every message exactly once, also across a
# guardd killed mid-replay; a reader asleep (state S) is drained for as
# long as it does not read, and "reads again" is judged without the
# drain's own effect; replayed messages keep their writer's uid (a user
# cannot forge root's lines through the drain); a spool on a full
# filesystem stops the drain without losing anything; an unusable spool
# dir is reported; guardd --once acts on nothing; a path replaced by a new
# socket is followed; a frozen reader never delays the status writes.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
command -v logger >/dev/null || lg_skip "logger(1) missing (package bsdutils)"
lg_start_bus
lg_start_logind
sock=$LG_TMP/devlog.sock
lg_start_devlog "$sock"
LG_INTERVAL_MS=200 LG_PROBE_TIMEOUT_MS=200

# writers N TAG: N loggers in the background, each sending one unique
# message (they block while the reader's queue is full).
WRITERS=""
writers() {
        local i
        for ((i = 1; i <= $1; i++)); do
                logger -u "$sock" -d -t lgtest "$2-$i" 2>/dev/null &
                WRITERS="$WRITERS $!"
        done
}
writers_done() { # TIMEOUT_S: all writers exited
        local p end=$((SECONDS + $1))
        for p in $WRITERS; do
                while kill -0 "$p" 2>/dev/null; do
                        [ $SECONDS -ge $end ] && return 1
                        sleep 0.05
                done
        done
        WRITERS=""
}
delivered() { grep -c "lgtest.*$1-" "$LG_TMP/devlog.rec"; }
# blocked_ge N: at least N of $WRITERS are asleep writing to a full socket,
# seen from /proc independently of guardd. Writers take a loaded machine
# seconds to start: the test waits for this before it asks guardd.
blocked_ge() {
        local p n=0
        for p in $WRITERS; do
                [ "$(cat "/proc/$p/wchan" 2>/dev/null)" = unix_wait_for_peer ] && n=$((n + 1))
        done
        [ "$n" -ge "$1" ]
}
status_match() { lg_status_key "$1" | grep -Eq -- "$2"; } # KEY REGEX
dupes() { grep -o "lgtest.*$1-[0-9]*" "$LG_TMP/devlog.rec" | sed 's/.*lgtest[^ ]* //' | sort | uniq -d | wc -l; }

# --- detection and census, no remedy
lg_guardd_conf devlog_stuck_ms=600 devlog_remedy=none
lg_start_guardd
lg_check "healthy: DEVLOG=ok" lg_wait_status DEVLOG ok 15
lg_assert_eq "$(lg_status_key DEVLOG_READER_PID)" "$DEVLOG_PID" "reader pid found through sock_diag and /proc"
lg_assert_eq "$(lg_status_key DEVLOG_READER_COMM)" devlog-double "reader comm"
lg_freeze "$DEVLOG_PID"
lg_check "stopped reader: DEVLOG=stuck" lg_wait_status DEVLOG stuck 15
lg_assert_eq "$(lg_status_key DEVLOG_READER_STATE)" T "reader state T"
writers 30 census
qlen=$(cat /proc/sys/net/unix/max_dgram_qlen)
# Of 30 one-message writers, all but the queue's room block (at most 15
# when the queue is larger).
want=$((30 - qlen))
[ "$want" -le 15 ] || want=15
[ "$want" -ge 1 ] || want=1
lg_check "census: $want loggers seen blocked in /proc" lg_until 60 blocked_ge "$want"
lg_check "blocked writers counted by guardd (30 loggers, queue of $qlen)" lg_wait_status_ge DEVLOG_BLOCKED_WRITERS "$want" 15
lg_assert_match "$(lg_status_key DEVLOG_TOP_WRITERS)" '^logger:[0-9]+' "top writers by command"
lg_assert_match "$(lg_status_key SUMMARY)" "devlog.sock reader devlog-double \\(pid $DEVLOG_PID, state T\\) stuck: queue full for .*tasks blocked writing \\(logger " \
        "SUMMARY names the reader, its state and the blocked writers"
w1=$(lg_status_key WRITTEN_MONOTONIC_USEC)
advanced() { [ "$(lg_status_key WRITTEN_MONOTONIC_USEC)" -ge $((w1 + 600000)) ] 2>/dev/null; }
lg_check "frozen reader: status still rewritten (600 ms on within 5 s)" lg_until 5 advanced
lg_thaw "$DEVLOG_PID"
lg_check "thawed: writers finish" writers_done 30
lg_check "thawed: DEVLOG=ok" lg_wait_status DEVLOG ok 15
lg_assert_eq "$(delivered census)" 30 "all 30 messages arrived once the reader read again"
kill "$GUARDD_PID"; wait "$GUARDD_PID" 2>/dev/null

# --- resume
lg_guardd_conf devlog_stuck_ms=600 devlog_remedy=resume
lg_start_guardd
lg_check "resume: healthy first" lg_wait_status DEVLOG ok 15
lg_freeze "$DEVLOG_PID"
lg_check "resume: guardd sent SIGCONT" lg_wait_status DEVLOG_REMEDY resume 15
lg_check "resume: reader running again, DEVLOG=ok" lg_wait_status DEVLOG ok 15
lg_assert_ne "$(awk '{print $3}' "/proc/$DEVLOG_PID/stat")" T "resume: reader no longer stopped"
kill "$GUARDD_PID"; wait "$GUARDD_PID" 2>/dev/null

# --- drain, then replay after the reader resumes; guardd killed mid-replay
lg_guardd_conf devlog_stuck_ms=600 devlog_remedy=drain devlog_replay_rate=20
lg_start_guardd
lg_check "drain: healthy first" lg_wait_status DEVLOG ok 15
lg_freeze "$DEVLOG_PID"
lg_check "drain: stuck" lg_wait_status DEVLOG stuck 15
writers 60 drain
lg_check "drain: blocked writers wake (within 15 s)" writers_done 15
# What the writers sent after the last drain stays queued for the reader.
lg_check "drain: most of the 60 messages taken into the spool" lg_wait_status_ge DEVLOG_SPOOLED 40 15
spool=$LG_TMP/spool/devlog.spool
lg_check "drain: spool file exists" test -f "$spool"
lg_assert_eq "$(stat -c %a "$spool")" 600 "drain: spool file mode 0600"
lg_assert_eq "$(delivered drain)" 0 "drain: nothing delivered while the reader is stopped"
lg_thaw "$DEVLOG_PID"
delivered_ge() { [ "$(delivered "$1")" -ge "$2" ]; } # TAG N
lg_check "replay: started once the reader reads (a message delivered)" lg_until 15 delivered_ge drain 1
lg_until 30 delivered_ge drain 15
kill -KILL "$GUARDD_PID"; wait "$GUARDD_PID" 2>/dev/null
mid=$(delivered drain)
lg_log "guardd killed after $mid of 60 replayed"
lg_check "replay was paced (killed mid-way)" test "$mid" -lt 60
lg_start_guardd
lg_until 30 delivered_ge drain 60
sleep 0.5
lg_assert_eq "$(delivered drain)" 60 "replay resumed after restart: all 60 messages arrived"
lg_assert_eq "$(dupes drain)" 0 "no message arrived twice"
lg_check "spool removed after the replay" lg_wait_status DEVLOG_SPOOL_PENDING_BYTES 0 15
lg_assert_eq "$(ls "$LG_TMP"/spool | wc -l)" 0 "spool dir empty"
# Regression: the drained socket's file stays open in the reader, so its
# event-loop watch must go before the fd is closed; a stale epoll entry
# made guardd abort on the next message to the reader.
writers 30 after
lg_check "after a drain episode: the reader still gets messages" writers_done 30
sleep 1
lg_check "after a drain episode: guardd survives traffic to the reader" kill -0 "$GUARDD_PID"
kill "$GUARDD_PID"; wait "$GUARDD_PID" 2>/dev/null

# --- unusable spool dir: reported, nothing drained
: >"$LG_TMP/not-a-dir"
lg_guardd_conf devlog_stuck_ms=600 devlog_remedy=drain spool_dir="$LG_TMP/not-a-dir/spool"
lg_start_guardd
lg_freeze "$DEVLOG_PID"
lg_check "bad spool: stuck" lg_wait_status DEVLOG stuck 15
lg_check "bad spool: clear error in the status" \
        lg_until 5 status_match DEVLOG_REMEDY_RESULT "spool in '.*not-a-dir/spool' unusable: Not a directory; not draining"
lg_assert_eq "$(lg_status_key DEVLOG_SPOOLED)" 0 "bad spool: nothing drained"
lg_thaw "$DEVLOG_PID"
kill "$GUARDD_PID"; wait "$GUARDD_PID" 2>/dev/null

# --- restart: the double runs in no service unit, so guardd must say so
# and not restart anything. (Where the test's processes sit in a real
# .service, e.g. a CI runner's, this part is skipped: restarting that
# unit would kill the test run.)
if grep -q '\.service' "/proc/$DEVLOG_PID/cgroup"; then
        lg_log "the /dev/log double runs in $(grep -o '[^/]*\.service' "/proc/$DEVLOG_PID/cgroup" | tail -1): restart remedy not exercised"
else
        lg_guardd_conf devlog_stuck_ms=600 devlog_remedy=restart
        lg_start_guardd
        lg_freeze "$DEVLOG_PID"
        lg_check "restart: remedy tried" lg_wait_status DEVLOG_REMEDY restart 15
        lg_assert_match "$(lg_status_key DEVLOG_REMEDY_RESULT)" "reader devlog-double \(pid $DEVLOG_PID\) runs in no service unit" \
                "restart: says the reader has no unit to restart"
        lg_thaw "$DEVLOG_PID"
        kill "$GUARDD_PID"; wait "$GUARDD_PID" 2>/dev/null
fi

# --- other sockets with blocked writers, and a long freeze
other=$LG_TMP/other.sock
"$B/tests/devlog-double" --path "$other" --record /dev/null --ready "$LG_TMP/other.ready" &
OTHER_PID=$!
lg_track "$OTHER_PID"
lg_wait_for "$LG_TMP/other.ready"
lg_guardd_conf devlog_stuck_ms=600 devlog_remedy=none
lg_start_guardd
lg_freeze "$OTHER_PID"
for i in $(seq 1 20); do logger -u "$other" -d -t lgother "other-$i" 2>/dev/null & WRITERS="$WRITERS $!"; done
lg_freeze "$DEVLOG_PID"
lg_check "long freeze: stuck" lg_wait_status DEVLOG stuck 15
lg_check "other socket: its writers seen blocked in /proc" lg_until 60 blocked_ge 1
lg_check "another socket's blocked writers reported with its path" \
        lg_until 30 status_match DEVLOG_OTHER_BLOCKED "(^|,)$other:[0-9]+"
lg_check "SUMMARY says there is more than the /dev/log finding" lg_until 5 status_match SUMMARY "\(\+[0-9]+ more\)"
FROZEN_S=${LG_DEVLOG_FROZEN_S:-60}
gaps=0 last=$(lg_status_key WRITTEN_MONOTONIC_USEC)
for ((i = 0; i < FROZEN_S; i += 2)); do
        sleep 2
        now=$(lg_status_key WRITTEN_MONOTONIC_USEC)
        [ "$((now - last))" -ge 600000 ] || gaps=$((gaps + 1))
        last=$now
done
lg_assert_eq "$gaps" 0 "reader frozen for ${FROZEN_S} s: a fresh status at least every 2 s throughout"
lg_thaw "$DEVLOG_PID"
lg_thaw "$OTHER_PID"
lg_check "long freeze: writers finish" writers_done 30
kill "$GUARDD_PID"; wait "$GUARDD_PID" 2>/dev/null

# --- guardd --once: it reports, it never acts
lg_guardd_conf devlog_stuck_ms=100 devlog_remedy=resume,drain
lg_freeze "$DEVLOG_PID"
writers 20 once
sleep 0.5
out=$(timeout 20 "$B/guardd" --once --config "$LG_TMP/guardd.conf")
lg_assert_match "$out" "reader devlog-double \\(pid $DEVLOG_PID, state T\\) stuck" "guardd --once: names the stopped reader"
lg_assert_eq "$(awk '{print $3}' "/proc/$DEVLOG_PID/stat")" T "guardd --once: did not resume it"
lg_check "guardd --once: did not drain (no spool)" test ! -e "$LG_TMP/spool/devlog.spool"
lg_thaw "$DEVLOG_PID"
lg_check "once: writers finish" writers_done 30

# --- unconnected writers (sendto to the path) are counted too
lg_guardd_conf devlog_stuck_ms=600 devlog_remedy=none
lg_start_guardd
lg_freeze "$DEVLOG_PID"
for i in 1 2 3 4 5 6 7 8; do
        python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for i in range(50): s.sendto(b"<13>lgtest: unconnected-%d" % i, sys.argv[1])' "$sock" &
        WRITERS="$WRITERS $!"
done
lg_check "unconnected: stuck" lg_wait_status DEVLOG stuck 15
# Once a writer is seen asleep in sendto() (python3 starts slowly on a
# loaded machine), guardd must count it within a few rounds.
lg_check "unconnected: a writer seen blocked in /proc" lg_until 60 blocked_ge 1
lg_check "writers blocked in sendto() on an unconnected socket are counted" \
        lg_until 5 status_match DEVLOG_TOP_WRITERS '(^|,)python3:[0-9]+'
lg_log "unconnected: DEVLOG_TOP_WRITERS=$(lg_status_key DEVLOG_TOP_WRITERS)"
# guardd never reads a writer's memory, where sendto()'s address is: it
# counts them for the reader only when the reader's queue is the only full
# one. Another datagram socket filled up (the other double frozen, 600
# datagrams, more than net.unix.max_dgram_qlen) makes that unknowable:
# they are listed apart, not claimed for the reader.
lg_freeze "$OTHER_PID"
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for i in range(600): s.sendto(b"<13>lgtest: other-%d" % i, sys.argv[1])' "$other" &
WRITERS="$WRITERS $!"
lg_check "unconnected, two full sockets: listed as not attested" \
        lg_until 30 status_match DEVLOG_OTHER_BLOCKED '(^|,)\(unconnected; destination not attested\):[0-9]+'
lg_assert_nomatch "$(lg_status_key DEVLOG_TOP_WRITERS)" 'python3' "unconnected, two full sockets: not claimed for the reader"
lg_thaw "$OTHER_PID"
lg_check "unconnected, the other socket drained: counted for the reader again" \
        lg_until 30 status_match DEVLOG_TOP_WRITERS '(^|,)python3:[0-9]+'
lg_thaw "$DEVLOG_PID"
lg_check "unconnected: writers finish" writers_done 15
kill "$GUARDD_PID"; wait "$GUARDD_PID" 2>/dev/null

# --- the path replaced by a new socket (reader restarted) is followed
lg_guardd_conf devlog_remedy=none
lg_start_guardd
lg_check "before replace: ok" lg_wait_status DEVLOG_READER_PID "$DEVLOG_PID" 15
old=$DEVLOG_PID
kill "$DEVLOG_PID"; wait "$DEVLOG_PID" 2>/dev/null
lg_start_devlog "$sock"
lg_check "new socket at the path: new reader followed" lg_wait_status DEVLOG_READER_PID "$DEVLOG_PID" 10
lg_assert_ne "$DEVLOG_PID" "$old" "it is another process"
lg_check "and DEVLOG=ok" lg_wait_status DEVLOG ok 15
kill "$GUARDD_PID"; wait "$GUARDD_PID" 2>/dev/null
kill "$DEVLOG_PID"; wait "$DEVLOG_PID" 2>/dev/null

# --- a reader asleep (state S), not stopped, and recording credentials
stall=$LG_TMP/stall
rm -f "$LG_TMP/devlog.ready"
"$B/tests/devlog-double" --path "$sock" --record "$LG_TMP/creds.rec" --ready "$LG_TMP/devlog.ready" \
        --stall-file "$stall" --credentials &
DEVLOG_PID=$!
lg_track "$DEVLOG_PID"
lg_wait_for "$LG_TMP/devlog.ready"
chmod 0666 "$sock" # the user's writer below may connect
lg_guardd_conf devlog_stuck_ms=600 devlog_remedy=resume,drain devlog_replay_rate=200
lg_start_guardd
lg_check "asleep: healthy first" lg_wait_status DEVLOG ok 15
touch "$stall"
# A user forges root's sshd line; the drain must not lend it guardd's uid.
setpriv --reuid=65534 --regid=65534 --clear-groups logger -u "$sock" -d -t sshd -i \
        "Accepted publickey for root from 10.0.0.1 (forged)" &
WRITERS="$WRITERS $!"
writers 40 asleep
lg_check "asleep: stuck although not stopped" lg_wait_status DEVLOG stuck 15
lg_assert_eq "$(lg_status_key DEVLOG_READER_STATE)" S "asleep: reader in state S"
lg_check "asleep: the drain wakes the writers" writers_done 30
# It keeps draining while the reader sleeps: more writers, rounds later.
sleep 2
writers 40 later
lg_check "asleep: still draining rounds later (writers woken)" writers_done 30
lg_assert_eq "$(lg_status_key DEVLOG)" stuck "asleep: still stuck, still draining (the drain's own room is not taken for reading)"
rm -f "$stall"
for _ in $(seq 1 600); do [ "$(grep -c 'lgtest.*\(asleep\|later\)-' "$LG_TMP/creds.rec")" -ge 80 ] && break; sleep 0.1; done
lg_assert_eq "$(grep -c 'lgtest.*asleep-' "$LG_TMP/creds.rec")" 40 "asleep: every message delivered after the reader woke"
lg_assert_eq "$(grep -c 'lgtest.*later-' "$LG_TMP/creds.rec")" 40 "asleep: and the later ones"
lg_assert_eq "$(grep -o 'lgtest[^ ]* [a-z]*-[0-9]*' "$LG_TMP/creds.rec" | sort | uniq -d | wc -l)" 0 "asleep: none twice"
lg_assert_match "$(grep 'Accepted publickey for root' "$LG_TMP/creds.rec")" '^uid=65534 ' \
        "the forged line keeps its writer's uid through the drain and replay"
lg_assert_nomatch "$(grep 'lgtest.*asleep-' "$LG_TMP/creds.rec")" '^uid=-1 ' "replayed messages carry credentials"
kill "$GUARDD_PID"; wait "$GUARDD_PID" 2>/dev/null

# --- the spool on a small filesystem that fills up: nothing is lost
mkdir -p "$LG_TMP/small"
mount -t tmpfs -o size=24k tmpfs "$LG_TMP/small" || lg_skip "cannot mount a tmpfs"
lg_guardd_conf devlog_stuck_ms=600 devlog_remedy=drain devlog_replay_rate=500 spool_dir="$LG_TMP/small/spool"
lg_start_guardd
lg_check "full spool: healthy first" lg_wait_status DEVLOG ok 15
kill -STOP "$DEVLOG_PID"
pad=$(printf '%0700d' 0)
for ((i = 1; i <= 160; i++)); do
        logger -u "$sock" -d -t lgtest "full-$i $pad" 2>/dev/null &
        WRITERS="$WRITERS $!"
done
lg_check "full spool: stuck" lg_wait_status DEVLOG stuck 15
sleep 2
lg_assert_match "$(lg_status_key DEVLOG_REMEDY_RESULT)" "refused a record .*taking nothing more" "full spool: the drain stops taking and says so"
lg_assert_eq "$(lg_status_key DEVLOG_LOST)" 0 "full spool: nothing counted lost"
kill -CONT "$DEVLOG_PID"
umount -l "$LG_TMP/small"
lg_check "full spool: writers finish once the reader reads" writers_done 20
for _ in $(seq 1 600); do [ "$(grep -c 'lgtest.*full-' "$LG_TMP/creds.rec")" -ge 160 ] && break; sleep 0.1; done
lg_assert_eq "$(grep -c 'lgtest.*full-' "$LG_TMP/creds.rec")" 160 "full spool: all 160 accepted messages arrived"
lg_assert_eq "$(grep -o 'lgtest[^ ]* full-[0-9]*' "$LG_TMP/creds.rec" | sort | uniq -d | wc -l)" 0 "full spool: none twice"
lg_check "full spool: removed once replayed" lg_wait_status DEVLOG_SPOOL_PENDING_BYTES 0 10
lg_done
