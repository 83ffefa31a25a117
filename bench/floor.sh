#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What a PAM module costs a login on this machine before it does anything,
# and what pam_loginguard adds on top: pam_permit alone, pam_permit plus a
# module that does nothing (bench/pam_noop.c), and pam_loginguard wrapping
# pam_permit with guardd watching (so no pam_systemd, no bus in the
# login). Paired, one login per process, in rotating order; with the
# page faults each login took (getrusage) and what this machine charges
# for a fault and a system call (bench/fault-cost). Prints a markdown
# section; bench/run.sh puts it in docs/BENCHMARKS.md.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
. tests/lib/harness.sh
. bench/lib.sh
lg_enter_namespace "$@"
lg_setup
N=${BENCH_FLOOR_N:-1000}
lg_find_pam_systemd
PERMIT=${PAM_SYSTEMD%/*}/pam_permit.so
lg_start_bus
lg_start_logind
: >"$LG_TMP/empty.conf"
st=$LG_TMP/status
opts="conf=$LG_TMP/empty.conf state_dir=/run/loginguard status=$st"
lg_service permit "session required pam_permit.so" "session optional pam_permit.so"
lg_service noop "session required pam_permit.so" "session optional $B/bench/pam_noop.so"
# service=login1: guardd's verdict for logind, as pam_systemd gets it (a
# service guardd does not know has the module read the status file).
lg_service wpermit "session required pam_permit.so" "$(lg_module_line optional "$opts" service=login1 wrap="$PERMIT")"
lg_service stock "session required pam_permit.so" "session optional $PAM_SYSTEMD"
lg_service wrapped "session required pam_permit.so" "$(lg_module_line optional "$opts" wrap="$PAM_SYSTEMD")"
LG_INTERVAL_MS=1000 LG_PROBE_TIMEOUT_MS=1000 lg_guardd_conf status_path="$st" state_dir=/run/loginguard
lg_start_guardd
lg_wait_status WATCHDOG guardd 10 >/dev/null || echo "guardd does not watch" >&2

S="permit noop wpermit stock wrapped"
for s in $S; do : >"$LG_TMP/t.$s"; : >"$LG_TMP/f.$s"; : >"$LG_TMP/o.$s"; : >"$LG_TMP/c.$s"; done
ulimit -Sn 1024
for i in $(seq 1 "$N"); do
        # each stack in each position as often as the others
        # shellcheck disable=SC2086 # a list of words
        set -- $S
        for _ in $(seq 1 $((i % 5))); do set -- "${@:2}" "$1"; done
        order="$*"
        for s in $order; do
                out=$(lg_driver "$s")
                lg_kv "$out" total_usec >>"$LG_TMP/t.$s"
                lg_kv "$out" minflt >>"$LG_TMP/f.$s"
                lg_kv "$out" open_usec >>"$LG_TMP/o.$s"
                lg_kv "$out" close_usec >>"$LG_TMP/c.$s"
        done
done
calls=$(lg_status_key WATCH_CALLS)
costs=$("$B/bench/fault-cost" 50)
fault_us=$(lg_kv "$costs" fault_ns | awk '{printf "%.1f", $1 / 1000}')
sys_us=$(lg_kv "$costs" syscall_ns | awk '{printf "%.1f", $1 / 1000}')
med() { stats "$1" | cut -d' ' -f1; }
# diff A B -> "median (95% CI lo-hi)" of B - A, paired by line
diff_ci() {
        paste "$LG_TMP/t.$1" "$LG_TMP/t.$2" | awk '{print $2 - $1}' >"$LG_TMP/d"
        read -r lo hi < <(medci "$LG_TMP/d")
        printf '%s us (%s to %s)' "$(med "$LG_TMP/d")" "$lo" "$hi"
}

cat <<EOF2
### What any module costs here, and what pam_loginguard adds

\`bash bench/floor.sh\` (\`BENCH_FLOOR_N=$N\`; run by \`make bench\`): $N logins of each stack,
pam_start..pam_end, paired in rotating order, guardd watching the wrapped calls
(WATCH_CALLS=$calls after the run). pam_loginguard wraps pam_permit here (\`service=login1\`:
guardd's verdict for logind, read from the watch table as with pam_systemd), so the figure
is the module itself: no pam_systemd, no bus. The last two rows are the healthy-overhead pair
of the section above, in the same run.

| stack | pam_start..pam_end median | open_session | close_session | page faults per login (median) |
| --- | --- | --- | --- | --- |
| pam_permit, pam_permit | $(med "$LG_TMP/t.permit") us | $(med "$LG_TMP/o.permit") us | $(med "$LG_TMP/c.permit") us | $(med "$LG_TMP/f.permit") |
| pam_permit, pam_noop.so (does nothing) | $(med "$LG_TMP/t.noop") us | $(med "$LG_TMP/o.noop") us | $(med "$LG_TMP/c.noop") us | $(med "$LG_TMP/f.noop") |
| pam_permit, pam_loginguard wrap=pam_permit | $(med "$LG_TMP/t.wpermit") us | $(med "$LG_TMP/o.wpermit") us | $(med "$LG_TMP/c.wpermit") us | $(med "$LG_TMP/f.wpermit") |
| pam_permit, pam_systemd (stock, the double) | $(med "$LG_TMP/t.stock") us | $(med "$LG_TMP/o.stock") us | $(med "$LG_TMP/c.stock") us | $(med "$LG_TMP/f.stock") |
| pam_permit, pam_loginguard wrap=pam_systemd | $(med "$LG_TMP/t.wrapped") us | $(med "$LG_TMP/o.wrapped") us | $(med "$LG_TMP/c.wrapped") us | $(med "$LG_TMP/f.wrapped") |

Paired differences, median with its 95% CI: a module that does nothing
$(diff_ci permit noop); pam_loginguard $(diff_ci permit wpermit), of which
$(diff_ci noop wpermit) is more than the do-nothing module; wrapping pam_systemd, in the
same run, $(diff_ci stock wrapped) over stock.

This machine charges $fault_us us per page fault and $sys_us us per system call
(\`build/bench/fault-cost 50\`, medians). On hardware a minor fault costs well under a
microsecond; here, under a paravirtualised MMU, loading and unloading any shared object
(its pages, its relocations, the TLB flush of dlclose) is most of a module's price.
EOF2
exit 0 # measurements, not checks (lg_done fails without any); the EXIT trap tears down
