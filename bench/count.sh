#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What a login does, counted rather than timed: the stacks of floor.sh (pam_permit,
# the module that does nothing, pam_loginguard wrapping pam_permit, stock
# pam_systemd, the bare wrapper and pam_loginguard wrapping it) on the double,
# guardd watching. For each, one login after warm-up under callgrind (instructions
# in all and in each PAM step: pam_start, which loads the modules; open_session;
# close_session; pam_end), five under `strace -f -c` (the median of their system
# calls) and the mean page faults of BENCH_COUNT_N logins (getrusage). Counts do not move with the
# VM's speed or load, so a change of a few microseconds that timing cannot tell
# apart in one run shows here in one login; what each costs in time is this
# machine's price of an instruction, a system call and a page fault
# (bench/fault-cost). Prints a markdown section. Needs root, valgrind, strace.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
for t in valgrind callgrind_annotate strace; do
        command -v "$t" >/dev/null || { echo "bench/count.sh needs $t" >&2; exit 1; }
done
. tests/lib/harness.sh
. bench/lib.sh
lg_enter_namespace "$@"
lg_setup
N=${BENCH_COUNT_N:-50}
bench_floor_stacks
bench_guardd || { echo "guardd does not watch"; exit 1; }
ulimit -Sn 1024

S="permit noop wpermit stock bare wrapped"
# under TOOL... STACK: one login of STACK run by TOOL (valgrind, strace).
under() {
        local s=${*: -1}
        "${@:1:$#-1}" "$B/tests/pam-driver" --confdir "$LG_TMP/pam.d" --service "$s"
}
mean() { awk '{s += $1} END {printf "%.1f", s / NR}' "$1"; }

# ir FILE PATTERN -> inclusive instructions of the first function matching
# PATTERN in callgrind's FILE, 0 when it never ran.
ir() {
        callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null | grep -v '=>' |
                awk -v p="$2" 'index($0, p) {gsub(",", "", $1); print $1; found=1; exit} END {if (!found) print 0}'
}

for s in $S; do
        for _ in 1 2 3; do lg_driver "$s" >/dev/null; done
        out=$(under valgrind --tool=callgrind --callgrind-out-file="$LG_TMP/cg.$s" "$s" 2>/dev/null)
        # A login that fell back (a cut under valgrind's slowness, say) took
        # another path than the one counted for: say so rather than count it.
        if [ "$(lg_kv "$out" open_rc)" != PAM_SUCCESS ] || printf '%s\n' "$out" | grep -q LOGINGUARD_FALLBACK; then
                echo "bench/count.sh: the $s login under callgrind did not succeed normally" >&2
                exit 1
        fi
        total=$(callgrind_annotate "$LG_TMP/cg.$s" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
        echo "$total $(ir "$LG_TMP/cg.$s" ':pam_start_confdir ') $(ir "$LG_TMP/cg.$s" ':pam_open_session ') \
$(ir "$LG_TMP/cg.$s" ':pam_close_session ') $(ir "$LG_TMP/cg.$s" ':pam_end ')" >"$LG_TMP/ir.$s"
        # The double's reply may come before or after pam_systemd's first
        # poll(): its system calls move by a few from login to login.
        for _ in 1 2 3 4 5; do
                under strace -f -c -o "$LG_TMP/sc.$s" "$s" >/dev/null
                awk '$NF == "total" {print $(NF-2)}' "$LG_TMP/sc.$s"
        done >"$LG_TMP/n5.$s"
        median "$LG_TMP/n5.$s" >"$LG_TMP/n.$s"
        for _ in $(seq 1 "$N"); do lg_kv "$(lg_driver "$s")" minflt; done >"$LG_TMP/f.$s"
done
calls=$(lg_status_key WATCH_CALLS)

row() { # NAME STACK
        local t st o c e
        read -r t st o c e <"$LG_TMP/ir.$2"
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$t" "$st" "$o" "$c" "$e" \
                "$(cat "$LG_TMP/n.$2")" "$(mean "$LG_TMP/f.$2")"
}
drow() { # NAME A B
        local a b fa fb
        read -r -a a <"$LG_TMP/ir.$2"
        read -r -a b <"$LG_TMP/ir.$3"
        fa=$(mean "$LG_TMP/f.$2")
        fb=$(mean "$LG_TMP/f.$3")
        printf '| %s | %+d | %+d | %+d | %+d | %+d | %+d | %+.1f |\n' "$1" $((b[0] - a[0])) $((b[1] - a[1])) \
                $((b[2] - a[2])) $((b[3] - a[3])) $((b[4] - a[4])) \
                $(($(cat "$LG_TMP/n.$3") - $(cat "$LG_TMP/n.$2"))) "$(awk -v a="$fa" -v b="$fb" 'BEGIN {print b - a}')"
}
head='| | instructions | pam_start | open_session | close_session | pam_end | system calls | page faults |'
cat <<EOF
### What a login does, counted (\`bash bench/count.sh\`)

One login per process on the double, guardd watching (WATCH_CALLS=$calls after the run).
Instructions from callgrind (one login after three warm-up logins; each PAM step inclusive
of what it calls, pam_start of loading the modules); system calls from \`strace -f -c\` of
one login (the median of five); page faults the mean of $N logins (getrusage). The whole process is counted,
the driver's own work included, which is the same in every row.

$head
| --- | --- | --- | --- | --- | --- | --- | --- |
$(row "pam_permit, pam_permit" permit)
$(row "pam_permit, pam_noop.so (does nothing)" noop)
$(row "pam_permit, pam_loginguard wrap=pam_permit" wpermit)
$(row "pam_permit, pam_systemd (stock, the double)" stock)
$(row "pam_permit, pam_barewrap.so wrap=pam_systemd (no guard)" bare)
$(row "pam_permit, pam_loginguard wrap=pam_systemd" wrapped)

Differences:

$head
| --- | --- | --- | --- | --- | --- | --- | --- |
$(drow "a module that does nothing, over pam_permit" permit noop)
$(drow "pam_loginguard wrapping pam_permit, over the module that does nothing" noop wpermit)
$(drow "the bare wrapper over stock" stock bare)
$(drow "pam_loginguard over the bare wrapper, both wrapping pam_systemd" bare wrapped)
$(drow "pam_loginguard wrapping pam_systemd, over stock" stock wrapped)
EOF
