#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 24's FUSE attack on guardd's /dev/log census, replayed: a writer
# sleeps in sendto() to the full /dev/log, unconnected, and the page that
# holds the call's destination address is then replaced by a mapping of a
# FUSE file whose reads are never answered. A census that read the address
# from the writer's memory (process_vm_readv, /proc/PID/mem) would wait for
# FUSE forever, and guardd's status would stop. It does not read memory:
# the status stays fresh round after round, /dev/log is still reported
# stuck and the writer still counted. The
# trap is shown to work first: reading that page from /proc/PID/mem hangs.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
[ -c /dev/fuse ] || lg_skip "/dev/fuse missing (the fuse kernel module)"
lg_start_bus
lg_start_logind
sock=$LG_TMP/devlog.sock
lg_start_devlog "$sock"
LG_INTERVAL_MS=200 LG_PROBE_TIMEOUT_MS=200
lg_guardd_conf devlog_path="$sock" devlog_stuck_ms=600 devlog_remedy=none
lg_start_guardd
lg_check "guardd: /dev/log ok" lg_wait_status DEVLOG ok 10

mkdir -p "$LG_TMP/fuse"
/usr/bin/python3 "$LG_ROOT/tests/tools/fuse-hang.py" "$LG_TMP/fuse" "$LG_TMP/fuse-reads" 2>"$LG_TMP/fuse.err" &
FUSE_PID=$!
lg_track "$FUSE_PID"
mounted() { [ -e "$LG_TMP/fuse/page" ]; }
lg_until 10 mounted || { cat "$LG_TMP/fuse.err"; lg_fail "the FUSE file system is mounted"; lg_done; }
cleanup_fuse() { umount -l "$LG_TMP/fuse" 2>/dev/null; kill "$FUSE_PID" 2>/dev/null; }
trap 'cleanup_fuse; lg_cleanup' EXIT

lg_freeze "$DEVLOG_PID"
"$B/tests/status-tool" devlog-fuse-writer "$sock" "$LG_TMP/fuse/page" >"$LG_TMP/writer.out" 2>&1 &
WRITER=$!
lg_track "$WRITER"
armed() { grep -q '^page=' "$LG_TMP/writer.out"; }
lg_until 60 armed || { lg_fail "the writer sleeps in sendto() with its address page on FUSE"; lg_done; }
page=$((16#$(sed -n 's/^page=//p' "$LG_TMP/writer.out")))
lg_check "guardd: /dev/log stuck" lg_wait_status DEVLOG stuck 15

# The trap works: a read of the address from the writer's memory hangs.
# Its wchan is what the look at guardd's threads below matches. Once the
# READ is sent, not even SIGKILL ends the wait: the reader is freed only
# when the file system's daemon goes, at the end (cleanup_fuse), so it is
# never waited for here.
# A task waiting for FUSE, by its wchan.
FUSE_WAIT='fuse|request_wait_answer'
dd if="/proc/$WRITER/mem" of=/dev/null bs=4096 skip=$((page / 4096)) count=1 2>/dev/null &
DD=$!
trap_wchan() { grep -qsE "$FUSE_WAIT" "/proc/$DD/wchan"; }
lg_until 5 trap_wchan
lg_check "a read of the address from /proc/PID/mem waits in FUSE (wchan $(cat "/proc/$DD/wchan" 2>/dev/null))" \
        trap_wchan
kill -KILL "$DD" 2>/dev/null
sleep 2
lg_check "... and waits on 2 s after SIGKILL (wchan $(cat "/proc/$DD/wchan" 2>/dev/null))" trap_wchan
lg_check "... in FUSE's READ, never answered" test -s "$LG_TMP/fuse-reads"

# guardd goes on: 10 s of rounds, each status newer than the last.
t0=$(lg_status_key WRITTEN_MONOTONIC_USEC)
writes=0 last=$t0
for _ in $(seq 1 20); do
        sleep 0.5
        t=$(lg_status_key WRITTEN_MONOTONIC_USEC)
        [ -n "$t" ] && [ "$t" -gt "$last" ] && writes=$((writes + 1)) && last=$t
done
lg_log "status rewritten in $writes of 20 half-seconds while the writer's address is on FUSE"
lg_check "guardd's status stays fresh (rewritten in at least 15 of 20 half-seconds: $writes)" test "$writes" -ge 15
lg_assert_eq "$(lg_status_key DEVLOG)" stuck "still reported stuck"
lg_assert_match "$(lg_status_key DEVLOG_TOP_WRITERS),$(lg_status_key DEVLOG_OTHER_BLOCKED)" \
        'status-tool:[0-9]+|\(unconnected; destination not attested\):[0-9]+' \
        "the FUSE-backed writer is still counted (for the reader, or apart as not attested)"
# One look at guardd's state is no proof: a healthy guardd is in D now and
# then, in fsync() of the files it writes (here on the disk under /tmp: in
# one run 265 of 296 D looks were fsync or ext4's truncate, and in the other
# 31 guardd was out of D before its stack could be read), and more so on a
# busy disk. What must never show is a wait for FUSE, in any thread.
in_fuse=0 asleep=0 where=
for _ in $(seq 1 20); do
        grep -qsE "$FUSE_WAIT" /proc/"$GUARDD_PID"/task/*/wchan && in_fuse=$((in_fuse + 1))
        if [ "$(awk '{print $3}' "/proc/$GUARDD_PID/stat")" = D ]; then
                asleep=$((asleep + 1))
                where="$where $(cat "/proc/$GUARDD_PID/wchan" 2>/dev/null)"
        fi
        sleep 0.1
done
lg_log "guardd's threads: in FUSE in $in_fuse of 20 looks, in D in $asleep (wchan:${where:- none})"
lg_assert_eq "$in_fuse" 0 "no thread of guardd waits in FUSE (20 looks at every thread's wchan)"
lg_check "guardd is not held in D (D in $asleep of 20 looks)" test "$asleep" -lt 20
lg_check "guardd's threads read nothing of the writer's memory (no FUSE read beyond the trap's)" \
        test "$(cat "$LG_TMP/fuse-reads")" -le 1

kill -KILL "$WRITER" 2>/dev/null
lg_thaw "$DEVLOG_PID"
lg_done
