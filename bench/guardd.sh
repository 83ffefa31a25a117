# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Sourced by bench/run.sh inside its namespace, with the bus and the logind
# double running: guardd's CPU and RSS at the default 1 s interval with
# 20,000 session entries, and how fast it sees a frozen logind.

GB_SECONDS=${BENCH_GUARDD_SECONDS:-30}
LG_INTERVAL_MS=1000 LG_PROBE_TIMEOUT_MS=1000
lg_guardd_conf
(cd "$LG_TMP/sessions-dir" && seq 1 18000 | sed 's/^/c/' | xargs touch && seq 1 2000 | sed 's/^/c/; s/$/.ref/' | xargs mkfifo)
(cd "$LG_TMP/units-dir" && seq 1 20000 | sed 's/^/session-c/; s/$/.scope/' | xargs mkdir)
lg_start_guardd
lg_wait_status SESSIONS 20000 10
ticks() { awk '{print $14 + $15}' "/proc/$GUARDD_PID/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks); s0=$(date +%s%N)
sleep "$GB_SECONDS"
t1=$(ticks); s1=$(date +%s%N)
cpu=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v ns=$((s1 - s0)) 'BEGIN {printf "%.3f", 100 * t / hz / (ns / 1e9)}')
rss=$(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$GUARDD_PID/status")
hwm=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$GUARDD_PID/status")
round=$(lg_status_key GUARDD_ROUND_USEC)

# Detection latency: freeze, wait for LOGIN1_ACTION=skip; 5 times.
detection LOGIN1_ACTION allow skip "$LOGIND_PID"
detect_med=$DET_MED detect_max=$DET_MAX

cat <<MD

## guardd

Default interval and probe timeout (1000 ms each), 20,000 entries in the sessions
directory (2,000 of them FIFOs) and 20,000 session scopes, on the private bus with the logind
double (\`make bench\`, bench/guardd.sh).

| figure | measured | goal |
| --- | --- | --- |
| CPU over ${GB_SECONDS} s | ${cpu}% of one core | <= 0.5% |
| RSS (VmRSS / VmHWM) | ${rss} / ${hwm} MiB | <= 8 MiB |
| time of one round (GUARDD_ROUND_USEC, last) | ${round} us | |
| frozen logind to LOGIN1_ACTION=skip, median / max of 5 | ${detect_med} / ${detect_max} ms | <= 2000 ms |

Directories are re-read only when their mtime changes, so the 20,000 entries cost one
\`stat()\` per round once counted.
MD
