#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/neighbour.sh MODE [N]: does what ran just before a login change
# what it costs? Stock pam_systemd and pam_loginguard wrapping it on the
# double, one login per process, guardd watching, N rounds (default 400);
# paired medians of pam_start..pam_end with their 95% CI. Written when
# floor.sh (which then rotated one fixed order) and the alternating pair
# of make bench disagreed by 120 us (docs/BENCHMARKS.md, "Which neighbour
# a login has"). MODE:
#   watched  each measured login right after the module wrapping
#            pam_permit (a call guardd watches) or after pam_permit alone
#   bus      right after the bare wrapper (a login that talks to the bus)
#            or after pam_permit alone
#   idle     back to back, or with 30 ms (BENCH_NEIGHBOUR_IDLE) of idle
#            time before each login
# Needs root, as the tests. Measurements, not checks.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
[ "$(id -u)" = 0 ] || { echo "bench/neighbour.sh needs root"; exit 1; }
MODE=${1:-}
N=${2:-400}
IDLE=${BENCH_NEIGHBOUR_IDLE:-0.03}
case $MODE in
watched) NEAR=wpermit ;;
bus) NEAR=bare ;;
idle) NEAR="" ;;
*) echo "usage: bench/neighbour.sh watched|bus|idle [N]"; exit 2 ;;
esac
. tests/lib/harness.sh
. bench/lib.sh
lg_enter_namespace "$@"
lg_setup
lg_find_pam_systemd
bench_double
bench_stacks
bench_guardd || echo "guardd does not watch" >&2
ulimit -Sn 1024
# s1/w1: stock/wrapped after the neighbour of MODE (or after idle time);
# s0/w0: after pam_permit alone (or back to back).
for k in s0 w0 s1 w1; do : >"$LG_TMP/$k"; done
one() { lg_kv "$(lg_driver "$1")" total_usec; }
before() { # 1 or 0: what runs before the next measured login
        if [ -z "$NEAR" ]; then
                [ "$1" = 1 ] && sleep "$IDLE"
        elif [ "$1" = 1 ]; then
                one "$NEAR" >/dev/null
        else
                one permit >/dev/null
        fi
}
measure() { # s0, w0, s1 or w1: its neighbour, then the login, to $LG_TMP/$1
        local stack=wrapped
        [ "${1:0:1}" = s ] && stack=stock
        before "${1:1}"
        one "$stack" >>"$LG_TMP/$1"
}
for ((i = 0; i < N; i++)); do
        # each of the four measured logins in every position, half the rounds each way
        if ((i % 2)); then order="s1 w1 s0 w0"; else order="w0 s0 w1 s1"; fi
        for x in $order; do measure "$x"; done
done
case $MODE in
watched) near="after the module wrapping pam_permit" far="after pam_permit" ;;
bus) near="after the bare wrapper" far="after pam_permit" ;;
idle) near="after ${IDLE}s idle" far="back to back" ;;
esac
echo "bench/neighbour.sh $MODE $N at $(git rev-parse --short HEAD), pam_start..pam_end, medians in us"
echo "stock: $near $(median "$LG_TMP/s1"), $far $(median "$LG_TMP/s0"); wrapped: $near $(median "$LG_TMP/w1"), $far $(median "$LG_TMP/w0")"
echo "wrapped - stock, both $near: $(paired_medci "$LG_TMP/s1" "$LG_TMP/w1")"
echo "wrapped - stock, both $far: $(paired_medci "$LG_TMP/s0" "$LG_TMP/w0")"
echo "stock, $near - $far: $(paired_medci "$LG_TMP/s0" "$LG_TMP/s1")"
echo "wrapped, $near - $far: $(paired_medci "$LG_TMP/w0" "$LG_TMP/w1")"
exit 0 # measurements, not checks (lg_done fails without any); the EXIT trap tears down
