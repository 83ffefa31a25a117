# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Sourced by bench/run.sh after bench/guardd.sh: the /dev/log figures.
# Detection of a stopped reader at the defaults, drain throughput, replay
# pace, and the census cost on a host with 5,000 extra tasks.
kill "$GUARDD_PID" 2>/dev/null; wait "$GUARDD_PID" 2>/dev/null
lg_start_devlog "$LG_TMP/devlog.sock"
LG_INTERVAL_MS=1000 LG_PROBE_TIMEOUT_MS=1000
lg_guardd_conf devlog_remedy=none
lg_start_guardd
detection DEVLOG ok stuck "$DEVLOG_PID"
dl_med=$DET_MED dl_max=$DET_MAX

# Census with 5,000 extra sleeping tasks, the reader stopped.
lg_freeze "$DEVLOG_PID"
sleepers=""
for i in $(seq 1 5000); do sleep 600 & sleepers="$sleepers $!"; done
for i in $(seq 1 50); do logger -u "$LG_TMP/devlog.sock" -d -t bench "census-$i" 2>/dev/null & done
sleep 3
census=$(lg_status_key DEVLOG_CENSUS_USEC)
blocked=$(lg_status_key DEVLOG_BLOCKED_WRITERS)
ntasks=$(ls /proc | grep -c '^[0-9]')
# shellcheck disable=SC2086
kill $sleepers 2>/dev/null
lg_thaw "$DEVLOG_PID"
sleep 1

# Drain throughput and replay pace: 2,000 blocked writers.
kill "$GUARDD_PID"; wait "$GUARDD_PID" 2>/dev/null
lg_guardd_conf devlog_remedy=drain devlog_stuck_ms=1000 devlog_replay_rate=1000
lg_start_guardd
lg_wait_status DEVLOG ok 10
lg_freeze "$DEVLOG_PID"
lg_wait_status DEVLOG stuck 10
pids=""
t0=$(date +%s%N)
for i in $(seq 1 2000); do logger -u "$LG_TMP/devlog.sock" -d -t bench "drain-$i" 2>/dev/null & pids="$pids $!"; done
# shellcheck disable=SC2086
wait $pids
drain_ms=$((($(date +%s%N) - t0) / 1000000))
spooled=$(lg_status_key DEVLOG_SPOOLED)
lg_thaw "$DEVLOG_PID"
t0=$(date +%s%N)
for _ in $(seq 1 600); do [ "$(grep -c 'bench.*drain-' "$LG_TMP/devlog.rec")" -ge 2000 ] && break; sleep 0.1; done
replay_ms=$((($(date +%s%N) - t0) / 1000000))
got=$(grep -c 'bench.*drain-' "$LG_TMP/devlog.rec")

cat <<MD

## /dev/log (guardd)

Defaults (interval 1000 ms, devlog_stuck_ms 3000), the /dev/log double stopped with SIGSTOP
(bench/devlog.sh).

| figure | measured | goal |
| --- | --- | --- |
| stopped reader to DEVLOG=stuck, median / max of 5 | ${dl_med} / ${dl_max} ms | <= 2000 ms |
| census with ${ntasks} tasks on the host (${blocked} blocked writers found) | ${census} us per round | |
| 2,000 blocked writers woken by drain (spawn included) | ${drain_ms} ms, ${spooled} messages spooled | |
| replay after the reader resumes (devlog_replay_rate=1000) | ${got} of 2,000 delivered in ${replay_ms} ms | |

A stopped reader (state T) is stuck at once; a reader that is running but not reading is
stuck after devlog_stuck_ms of a full queue.
MD
