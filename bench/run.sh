#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# make bench: measures the module (and guardd, when built) and rewrites
# docs/BENCHMARKS.md with the numbers, the commands and the machine.
# Runs in a private mount namespace like the tests; needs root.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
[ "$(id -u)" = 0 ] || { echo "make bench needs root (private mount namespace)"; exit 1; }
. tests/lib/harness.sh
. bench/lib.sh
lg_enter_namespace "$@" # re-runs this script in a private mount namespace
lg_setup
lg_find_pam_systemd
OUT=${BENCH_OUT:-docs/BENCHMARKS.md}
N=${BENCH_N:-3000}
REPORT=$LG_TMP/report.md

us2ms() { awk -v u="$1" 'BEGIN {printf "%.2f", u/1000}'; }

# detection KEY HEALTHY BAD PID: freeze PID 5 times at a random point of
# guardd's round and time until the status says KEY=BAD; sets DET_MED and
# DET_MAX (ms).
detection() {
        local i d0 f=$LG_TMP/detect.$1
        : >"$f"
        for i in 1 2 3 4 5; do
                lg_wait_status "$1" "$2" 15
                sleep 0.$((RANDOM % 9 + 1))
                lg_freeze "$4"
                d0=$(date +%s%N)
                lg_wait_status "$1" "$3" 10
                echo $((($(date +%s%N) - d0) / 1000000)) >>"$f"
                lg_thaw "$4"
        done
        DET_MED=$(sort -n "$f" | sed -n 3p)
        DET_MAX=$(sort -n "$f" | tail -1)
}

bench_double
bench_stacks
# The skip paths' reference: pam_permit alone, one line (bench_stacks' has two).
lg_service permit "session required pam_permit.so"
"$B/tests/status-tool" write "$st" LOGIN1=ok LOGIN1_ACTION=allow

# healthy_pairs TAG COUNT: COUNT logins of each stack, one login per process as
# in sshd, stock and wrapped in alternating order; totals and open+close times
# go to $LG_TMP/{stock,wrapped}.TAG.{total,oc}. Run it with the descriptor
# limit sshd has under systemd (1024).
healthy_pairs() {
        local i svc order out
        : >"$LG_TMP/stock.$1.total"; : >"$LG_TMP/wrapped.$1.total"
        : >"$LG_TMP/stock.$1.oc"; : >"$LG_TMP/wrapped.$1.oc"
        for i in $(seq 1 "$2"); do
                order="stock wrapped"
                [ $((i % 2)) = 0 ] && order="wrapped stock"
                for svc in $order; do
                        out=$(lg_driver "$svc")
                        lg_kv "$out" total_usec >>"$LG_TMP/$svc.$1.total"
                        echo $(($(lg_kv "$out" open_usec) + $(lg_kv "$out" close_usec))) >>"$LG_TMP/$svc.$1.oc"
                done
                # Without guardd, keep the status fresh for the wrapped runs (max_age 5 s).
                [ -z "${GUARDD_PID:-}" ] && [ $((i % 50)) = 0 ] &&
                        "$B/tests/status-tool" write "$st" LOGIN1=ok LOGIN1_ACTION=allow
        done
}


# 1. Healthy overhead, with guardd watching the deadlines (as installed).
bench_guardd || echo "guardd does not watch: $(lg_status_key WATCHDOG_REASON)" >&2
lg_wait_status LOGIN1_ACTION allow 10 || echo "guardd did not say allow" >&2
watchdog=$(lg_status_key WATCHDOG)
(ulimit -Sn 1024 && healthy_pairs g "$N")
calls_watched=$(lg_status_key WATCH_CALLS)
kill "$GUARDD_PID"; wait "$GUARDD_PID" 2>/dev/null; GUARDD_PID=""
rm -f /run/loginguard/watch
read -r s_med s_p99 < <(stats "$LG_TMP/stock.g.oc")
read -r w_med w_p99 < <(stats "$LG_TMP/wrapped.g.oc")
read -r st_med st_p99 < <(stats "$LG_TMP/stock.g.total")
read -r wt_med wt_p99 < <(stats "$LG_TMP/wrapped.g.total")
ratio=$(awk -v a="$w_med" -v b="$s_med" 'BEGIN {printf "%.3f", a/b}')
ratio_t=$(awk -v a="$wt_med" -v b="$st_med" 'BEGIN {printf "%.3f", a/b}')
read -r pd_med pd_mean pd_ci < <(paired "$LG_TMP/stock.g.total" "$LG_TMP/wrapped.g.total")
read -r pd_lo pd_hi < <(medci <(diffs "$LG_TMP/stock.g.total" "$LG_TMP/wrapped.g.total"))
# The goal is met in a run when the whole interval of the median is within it.
goal_sentence() {
        if [ "$pd_hi" -le 200 ]; then
                echo "The goal is met in this run: the interval's top, $pd_hi us, is within 200 us. Runs of the"
                echo "same code move by 20 to 30 us on this VM: the sections at the end of this file (written by"
                echo "hand; \`make bench\` keeps them) follow the figure across runs."
        else
                echo "The goal is not met in this run: the interval reaches $pd_hi us. Why, on this machine: section"
                echo "\"Why the 200 us goal is not met here\" at the end (written by hand; \`make bench\` keeps it)."
        fi
}
# A figure left empty would print as a report with a hole in it.
need() { local v; for v; do [ -n "${!v}" ] || { echo "make bench: no value for $v" >&2; exit 1; }; done; }
need s_med w_med st_med wt_med pd_med pd_mean pd_ci pd_lo pd_hi

# 1b. The same without guardd: the module's own watchdog thread per call.
"$B/tests/status-tool" write "$st" LOGIN1=ok LOGIN1_ACTION=allow
NT=$(((N + 1) / 2))
(ulimit -Sn 1024 && healthy_pairs t "$NT")
read -r tpd_med tpd_mean tpd_ci < <(paired "$LG_TMP/stock.t.total" "$LG_TMP/wrapped.t.total")
read -r tpd_lo tpd_hi < <(medci <(diffs "$LG_TMP/stock.t.total" "$LG_TMP/wrapped.t.total"))
need tpd_med tpd_mean tpd_ci tpd_lo tpd_hi

# 2. The decision path alone.
"$B/tests/status-tool" write "$st" LOGIN1=ok LOGIN1_ACTION=allow
decision=$("$B/bench/bench-decision" "$st" /run/loginguard 20000)

# 3. Frozen logind.
lg_freeze "$LOGIND_PID"
out=$(LG_DRIVER_TIMEOUT=10 lg_driver stock --ops open)
stock_frozen=$(lg_kv "$out" open_usec)
[ -n "$stock_frozen" ] && stock_frozen_txt="$(us2ms "$stock_frozen") ms" || stock_frozen_txt="> 10000 ms (killed at the cap; Debian 12 waits 120 s)"
rm -f /run/loginguard/breaker-*
"$B/tests/status-tool" write "$st" LOGIN1=ok LOGIN1_ACTION=allow
out=$(lg_driver wrapped --ops open)
first=$(lg_kv "$out" open_usec)
lg_driver wrapped --ops open >/dev/null   # second cut: breaker trips (trip=2)
: >"$LG_TMP/breaker.open"; : >"$LG_TMP/permit.open"; : >"$LG_TMP/skip.open"
for i in $(seq 1 50); do
        lg_kv "$(lg_driver wrapped --ops open)" open_usec >>"$LG_TMP/breaker.open"
        lg_kv "$(lg_driver permit --ops open)" open_usec >>"$LG_TMP/permit.open"
done
"$B/tests/status-tool" write "$st" LOGIN1=stuck LOGIN1_ACTION=skip
rm -f /run/loginguard/breaker-*
for i in $(seq 1 50); do
        lg_kv "$(lg_driver wrapped --ops open)" open_usec >>"$LG_TMP/skip.open"
done
lg_thaw "$LOGIND_PID"
read -r b_med b_p99 < <(stats "$LG_TMP/breaker.open")
read -r p_med p_p99 < <(stats "$LG_TMP/permit.open")
read -r k_med k_p99 < <(stats "$LG_TMP/skip.open")

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
cat <<HDR
<!-- SPDX-License-Identifier: LGPL-2.1-or-later -->
# Benchmarks

Regenerated by \`make bench\` (bench/run.sh) on $(date -u +%Y-%m-%d). Machine: $(nproc) cores
($cpu), $(free -g | awk '/^Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r),
pam_systemd from libpam-systemd $(dpkg-query -W -f='${Version}' libpam-systemd 2>/dev/null).
Logins run through the PAM driver (\`tests/tools/pam-driver\`, libpam's pam_start_confdir) against
the logind double on a private dbus-daemon, in a private mount namespace. Times are per login,
one login per process as in sshd.

## pam_loginguard

### Healthy overhead against the double (goal: at most 200 us added per login)

$N pairs, one login per process, stock and wrapped in alternating order (\`BENCH_N=$N make bench\`),
with guardd running at its default 1 s interval and watching the deadlines (status said
WATCHDOG=$watchdog; WATCH_CALLS=$calls_watched after the run). The headline is
pam_start..pam_end: stock loads pam_systemd in pam_start, the wrapper inside open_session, so
open+close alone would charge the wrapper for the dlopen stock does earlier.

| stack | pam_start..pam_end median | p99 | open+close median | p99 |
| --- | --- | --- | --- | --- |
| stock pam_systemd | $(us2ms "$st_med") ms | $(us2ms "$st_p99") ms | $(us2ms "$s_med") ms | $(us2ms "$s_p99") ms |
| pam_loginguard wrap=pam_systemd | $(us2ms "$wt_med") ms | $(us2ms "$wt_p99") ms | $(us2ms "$w_med") ms | $(us2ms "$w_p99") ms |
| ratio (median) | $ratio_t | | $ratio | |

**Added per login (wrapped - stock, paired, pam_start..pam_end), guardd watching: median
$pd_med us (95% CI of the median $pd_lo-$pd_hi us, order statistics); mean $pd_mean us ± $pd_ci us.**
The goal is stated on the median: on this 2-vCPU VM a few logins in a hundred, stock or
wrapped, lose a scheduler slice to guardd, dbus-daemon or the double, which moves the mean
by tens of microseconds from run to run. The logins run with a descriptor limit of 1024
(\`ulimit -Sn 1024\`), as sshd, cron and su do under systemd's default \`LimitNOFILE=\`.
The module reads a copy of the shipped config file in every login (conf/loginguard.conf,
102 lines, every key commented out), as on a host with the packages installed.

$(goal_sentence)

Without guardd (stopped, status written by hand) each wrapped call runs the module's own
watchdog thread, $NT pairs: median $tpd_med us (95% CI $tpd_lo-$tpd_hi us), mean $tpd_mean us ± $tpd_ci us.
That is the fallback, not the installed configuration: a thread create and join costs
100-190 us on this machine, which is why the deadline is delegated to guardd when it runs.
What any module, even one that does nothing, costs a login on this machine, and its price
per page fault: section "What any module costs here" below.

The double answers CreateSession in about 1-2 ms, so the ratio here is not the goal's
measure; against the real logind it is (section "Real stack" below). What remains of the
cost with guardd watching: loading pam_loginguard.so, the options and config, the breaker
file (looked up; read only while it exists), one fd scan before open_session (a poll() over
the numbers below the descriptor limit, no /proc; close_session reuses it), mapping the watch
table once and two slot updates per call; the status file is
not read while guardd publishes its verdict in the watch table.

### Decision path alone (goal: <= 20 us)

Status read and check plus breaker decision, 20,000 iterations
(\`$BUILD/bench/bench-decision STATUS STATE_DIR 20000\`): \`$decision\`.

### Frozen logind (SIGSTOP on the double)

| login | open_session |
| --- | --- |
| stock pam_systemd | $stock_frozen_txt |
| pam_loginguard, first login (cut at deadline=2000) | $(us2ms "$first") ms |
| pam_loginguard, breaker open (median / p99 of 50) | $(us2ms "$b_med") / $(us2ms "$b_p99") ms |
| pam_loginguard, guardd status says skip (median / p99 of 50) | $(us2ms "$k_med") / $(us2ms "$k_p99") ms |
| pam_permit only, for reference (median / p99 of 50) | $(us2ms "$p_med") / $(us2ms "$p_p99") ms |

Goal for the skip paths: within 1 ms of the pam_permit-only stack.
Ratio stock/guarded at the cap: $(awk -v a=10000000 -v b="$b_med" 'BEGIN {printf "%.0f", a/b}')x for
breaker-open logins (stock measured only up to the 10 s cap; it would wait 120 s).
HDR
echo
if [ -x "$B/guardd" ]; then
        LG_IN_NS="" bash bench/floor.sh 2>"$LG_TMP/floor.err" ||
                echo "(bench/floor.sh failed: $(tail -n 1 "$LG_TMP/floor.err"))"
        echo
        LG_IN_NS="" bash bench/count.sh 2>"$LG_TMP/count.err" ||
                echo "(bench/count.sh failed: $(tail -n 1 "$LG_TMP/count.err"))"
        echo
fi
if [ -x "$B/guardd" ] && [ -f bench/guardd.sh ]; then
        . bench/guardd.sh
        . bench/devlog.sh
fi
echo
LG_IN_NS="" bash bench/sockets.sh 2>"$LG_TMP/sockets.err" || echo "(bench/sockets.sh failed: $(tail -n 1 "$LG_TMP/sockets.err"))"
echo
bash bench/users.sh 2>"$LG_TMP/users.err" || echo "(bench/users.sh failed: $(tail -n 1 "$LG_TMP/users.err"))"
if [ -x "$B/guardd" ]; then
        echo
        LG_IN_NS="" bash bench/burst.sh 2>"$LG_TMP/burst.err" ||
                echo "(bench/burst.sh failed: $(tail -n 1 "$LG_TMP/burst.err"))"
fi
# The real stack, in a mount namespace of its own (BENCH_REALSTACK=0 skips).
if [ "${BENCH_REALSTACK:-1}" = 1 ]; then
        echo
        if ! LG_IN_NS="" bash bench/realstack.sh 2>"$LG_TMP/realstack.err"; then
                echo "## Real stack"
                echo
                echo "Not measured here: $(grep -m1 -e SKIP -e FAIL "$LG_TMP/realstack.err")"
        fi
fi
} >"$REPORT"
# The A/B section (bench/ab.sh, run by hand against a named commit) and
# what follows it (written by hand: why a goal is not met on this
# machine; the runs of bench/rs-floor.sh and bench/ablate.sh) are kept as
# they were: make bench does not rerun them.
if [ -f "$OUT" ]; then
        [ -z "$(tail -n 1 "$REPORT")" ] || echo >>"$REPORT" # a blank line before the heading
        sed -n '/^## A\/B against an earlier commit/,$p' "$OUT" >>"$REPORT"
fi
cp "$REPORT" "$OUT"
cat "$OUT"
