#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What a PAM module costs a login on this machine before it does anything,
# and what pam_loginguard adds on top: pam_permit alone, pam_permit plus a
# module that does nothing (bench/pam_noop.c), and pam_loginguard wrapping
# pam_permit with guardd watching (so no pam_systemd, no bus in the
# login); then stock pam_systemd, the least a wrapper can be wrapping it
# (bench/pam_barewrap.c: dlopen and call, no guard) and pam_loginguard
# wrapping it. Paired, one login per process, in a random order each round; with the
# page faults each login took (getrusage), the CPU time it used and what this machine charges
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
bench_floor_stacks
bench_guardd || echo "guardd does not watch" >&2

S="permit noop wpermit stock bare wrapped"
for s in $S; do for k in t f s o c e u in out; do : >"$LG_TMP/$k.$s"; done; done
ulimit -Sn 1024
for _ in $(seq 1 "$N"); do
        # shellcheck disable=SC2086 # a list of words
        for s in $(shuffled $S); do
                out=$(lg_driver "$s")
                for k in t:total_usec f:minflt s:start_usec o:open_usec c:close_usec e:end_usec u:cpu_usec; do
                        lg_kv "$out" "${k#*:}" >>"$LG_TMP/${k%%:*}.$s"
                done
        done
done
# What a user waits for at login (pam_start + open_session) and at logout
# (close_session + pam_end), each login's own.
for s in $S; do
        paste "$LG_TMP/s.$s" "$LG_TMP/o.$s" | awk '{print $1 + $2}' >"$LG_TMP/in.$s"
        paste "$LG_TMP/c.$s" "$LG_TMP/e.$s" | awk '{print $1 + $2}' >"$LG_TMP/out.$s"
done
calls=$(lg_status_key WATCH_CALLS)
costs=$("$B/bench/fault-cost" 50)
fault_us=$(lg_kv "$costs" fault_ns | awk '{printf "%.1f", $1 / 1000}')
sys_us=$(lg_kv "$costs" syscall_ns | awk '{printf "%.1f", $1 / 1000}')
# diff K A B -> "median (lo to hi)": B - A of measure K, paired by line,
# the median with its 95% CI
diff_ci() { paired_medci "$LG_TMP/$1.$2" "$LG_TMP/$1.$3"; }
row() { # NAME STACK
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(median "$LG_TMP/t.$2")" "$(median "$LG_TMP/s.$2")" \
                "$(median "$LG_TMP/o.$2")" "$(median "$LG_TMP/c.$2")" "$(median "$LG_TMP/e.$2")" "$(median "$LG_TMP/f.$2")"
}
drow() { # NAME A B
        printf '| %s | %s | %s | %s | %s |\n' "$1" "$(diff_ci t "$2" "$3")" "$(diff_ci in "$2" "$3")" "$(diff_ci out "$2" "$3")" \
                "$(diff_ci u "$2" "$3")"
}

cat <<EOF2
### What any module costs here, and what pam_loginguard adds

\`bash bench/floor.sh\` (\`BENCH_FLOOR_N=$N\`; run by \`make bench\`): $N logins of each stack,
one login per process, paired, in a random order each round, guardd watching the wrapped calls
(WATCH_CALLS=$calls after the run). pam_loginguard wraps pam_permit here (\`service=login1\`:
guardd's verdict for logind, read from the watch table as with pam_systemd), so that row is
the module itself: no pam_systemd, no bus. The stock and pam_loginguard rows wrapping
pam_systemd are the healthy-overhead pair of the section above, in the same run; between
them, the least a wrapper can be (\`bench/pam_barewrap.c\`: it loads the module named by
\`wrap=\`, keeps it loaded and calls it, with no guard at all). Medians in us.

| stack | pam_start..pam_end | pam_start | open_session | close_session | pam_end | page faults |
| --- | --- | --- | --- | --- | --- | --- |
$(row "pam_permit, pam_permit" permit)
$(row "pam_permit, pam_noop.so (does nothing)" noop)
$(row "pam_permit, pam_loginguard wrap=pam_permit" wpermit)
$(row "pam_permit, pam_systemd (stock, the double)" stock)
$(row "pam_permit, pam_barewrap.so wrap=pam_systemd (no guard)" bare)
$(row "pam_permit, pam_loginguard wrap=pam_systemd" wrapped)

Paired differences, median with its 95% CI, in us; "login" is pam_start + open_session (what
a user waits for before the shell), "logout" close_session + pam_end; "CPU" is the CPU time
the login process itself used from pam_start to pam_end (\`CLOCK_PROCESS_CPUTIME_ID\`, user and
system), which leaves out the wait for the double's reply:

| | pam_start..pam_end | login | logout | CPU |
| --- | --- | --- | --- | --- |
$(drow "a module that does nothing, over pam_permit" permit noop)
$(drow "pam_loginguard wrapping pam_permit, over pam_permit" permit wpermit)
$(drow "the same, over the module that does nothing" noop wpermit)
$(drow "pam_loginguard wrapping pam_systemd, over stock" stock wrapped)
$(drow "the bare wrapper (no guard) wrapping pam_systemd, over stock" stock bare)
$(drow "pam_loginguard over the bare wrapper, both wrapping pam_systemd" bare wrapped)

This machine charges $fault_us us per page fault and $sys_us us per system call
(\`build/bench/fault-cost 50\`, medians). On hardware a minor fault costs well under a
microsecond; here, under a paravirtualised MMU, loading and unloading any shared object
(its pages, its relocations, the TLB flush of dlclose) is a large part of a module's price.
The wrapper keeps the module it wraps loaded for the life of the process (pam_systemd's
libsystemd must not be unloaded under a live handle: pam_module/target.c), and is itself
linked \`-z nodelete\`, so at pam_end stock pays for unloading pam_systemd and libsystemd and
the wrapper unloads nothing; the process unmaps both at exit, after the login. That is why
the logout column is negative for the wrapper; the login column compares like with like.
EOF2
exit 0 # measurements, not checks (lg_done fails without any); the EXIT trap tears down
