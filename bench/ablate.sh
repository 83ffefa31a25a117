#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/ablate.sh [N]: what each part of the healthy path costs a login on
# the double, by taking it out. Applies bench/ablate.patch to this commit in
# a git worktree under /tmp and builds pam_loginguard once per variant, each
# with one LG_ABLATE_* macro (or all of them):
#   noscan   no descriptor scan before the call (an empty keep list)
#   noconf   the config file not read (built-in defaults)
#   nopop    the watch table mapped without MAP_POPULATE
#   nopidns  the pid namespace taken as guardd's without F_GETLK on its lock
#   all      the four above together
#   noguard  no guard at all: decide_and_call() loads and calls the target
#            (the options, the config and the breaker's state directory
#            are still read in run())
# These builds are wrong on purpose (no cut, no checks); they exist to
# measure. N rounds (default 1500) of one login per process for stock
# pam_systemd, the bare wrapper (bench/pam_barewrap.c), the unchanged
# module ("base") and each variant, in a random order each round, guardd
# watching. Prints medians of pam_start..pam_end and of the login
# (pam_start + open_session) and the paired differences against stock and
# against base with the 95% CI of each median. Needs root, as the tests.
# BENCH_ABLATE_ARMS picks the variants (default: all of them).
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
[ "$(id -u)" = 0 ] || { echo "bench/ablate.sh needs root"; exit 1; }
N=${1:-1500}
VARIANTS=${BENCH_ABLATE_ARMS:-noscan noconf nopop nopidns all noguard}
. tests/lib/harness.sh
. bench/lib.sh
lg_enter_namespace "$@"
lg_setup
lg_find_pam_systemd
W=/tmp/loginguard-ablate-$(git rev-parse --short HEAD)
if [ ! -d "$W" ]; then
        git worktree add --detach "$W" HEAD >/dev/null 2>&1 || { echo "cannot check out HEAD"; exit 1; }
        git -C "$W" apply "$PWD/bench/ablate.patch" || { echo "bench/ablate.patch no longer applies"; exit 1; }
fi
flags() {
        case $1 in
        base) echo "" ;;
        all) echo "-DLG_ABLATE_NOSCAN -DLG_ABLATE_NOCONF -DLG_ABLATE_NOPOP -DLG_ABLATE_NOPIDNS" ;;
        *) echo "-DLG_ABLATE_$(echo "$1" | tr '[:lower:]' '[:upper:]')" ;;
        esac
}
for v in base $VARIANTS; do
        make -C "$W" -s -j2 B="$W/b-$v" CPPFLAGS="$(flags "$v")" "$W/b-$v/pam_loginguard.so" \
                >"$LG_TMP/build-$v.log" 2>&1 || { tail "$LG_TMP/build-$v.log"; exit 1; }
done
bench_double
bench_guardd || { echo "guardd does not watch"; exit 1; }
bench_stacks
for v in base $VARIANTS; do
        lg_service "$v" "session required pam_permit.so" "session optional $W/b-$v/pam_loginguard.so $opts wrap=$PAM_SYSTEMD"
done
ARMS="stock bare base $VARIANTS"
for a in $ARMS; do : >"$LG_TMP/t.$a"; : >"$LG_TMP/in.$a"; done
(
        ulimit -Sn 1024
        for ((round = 0; round < N; round++)); do
                # shellcheck disable=SC2086 # a list of words
                for a in $(shuffled $ARMS); do
                        out=$(lg_driver "$a")
                        lg_kv "$out" total_usec >>"$LG_TMP/t.$a"
                        echo $(($(lg_kv "$out" start_usec) + $(lg_kv "$out" open_usec))) >>"$LG_TMP/in.$a"
                done
        done
)
diff_ci() { paired_medci "$LG_TMP/$1.$2" "$LG_TMP/$1.$3"; } # MEASURE A B: B - A, paired by round
echo "bench/ablate.sh $N at $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- pam_module common || echo '+changes'), guardd watching $(lg_status_key WATCH_CALLS) calls"
echo
echo "| arm | pam_start..pam_end | over stock | over base | login | over stock | over base |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for a in $ARMS; do
        echo "| $a | $(median "$LG_TMP/t.$a") | $(diff_ci t stock "$a") | $(diff_ci t base "$a") |" \
                "$(median "$LG_TMP/in.$a") | $(diff_ci in stock "$a") | $(diff_ci in base "$a") |"
done
exit 0 # measurements, not checks; the EXIT trap tears down
