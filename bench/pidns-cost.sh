#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/pidns-cost.sh [N]: the handoff's pid namespace check in a new
# process, stat() of /proc/self/ns/pid against F_GETLK on a file whose lock
# another process holds (as guardd holds the watch table's): N new
# processes of each (default 400), alternating. Prints the medians, in us,
# of the first call (what a login pays) and of the second.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
N=${1:-400}
tool=$BUILD/bench/pidns-cost
[ -x "$tool" ] && [ -x "$BUILD/tests/status-tool" ] || { echo "run make test-bins first"; exit 1; }
tmp=$(mktemp -d)
trap 'kill "$holder" 2>/dev/null; rm -rf "$tmp"' EXIT
: >"$tmp/table"
"$BUILD/tests/status-tool" watch-lock "$tmp/table" >"$tmp/lock.out" &
holder=$!
for _ in $(seq 50); do grep -q locked "$tmp/lock.out" && break; sleep 0.1; done
grep -q locked "$tmp/lock.out" || { echo "the lock was not taken"; exit 1; }
for _ in $(seq "$N"); do
        for how in stat lock; do
                "$tool" "$how" "$tmp/table" >>"$tmp/$how" || { echo "$how failed"; exit 1; }
        done
done
median() { sort -n -k"$2" "$1" | awk -v c="$2" '{a[NR] = $c} END {printf "%.1f", a[int((NR + 1) / 2)] / 1000}'; }
echo "pidns-cost, $N new processes each: first call / second call, medians in us"
echo "stat /proc/self/ns/pid: $(median "$tmp/stat" 1) / $(median "$tmp/stat" 2)"
echo "F_GETLK on the table:   $(median "$tmp/lock" 1) / $(median "$tmp/lock" 2)"
