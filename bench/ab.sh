#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/ab.sh OLD_COMMIT [N]: the healthy path of OLD_COMMIT's
# pam_loginguard against this tree's, paired. Each has its own guardd,
# both running throughout at the default 1 s interval and watching the
# deadlines of their own logins (their own state directory and status), so
# both arms share the machine's load. N rounds (default 1500) of one login
# per process for each of stock pam_systemd, OLD and NEW, the order of the
# three rotating every round. Prints the medians of pam_start..pam_end and
# the paired differences (NEW - OLD, NEW - stock, OLD - stock) with the
# 95% confidence interval of each median (order statistics). Builds
# OLD_COMMIT in a git worktree under /tmp. Needs root (private mount
# namespace, as the tests).
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
[ "$(id -u)" = 0 ] || { echo "bench/ab.sh needs root"; exit 1; }
OLD=${1:?usage: bench/ab.sh OLD_COMMIT [N]}
N=${2:-1500}
. tests/lib/harness.sh
. bench/lib.sh
lg_enter_namespace "$@"
lg_setup
lg_find_pam_systemd
W=/tmp/loginguard-ab-$(git rev-parse --short "$OLD")
if [ ! -x "$W/build/pam_loginguard.so" ]; then
        git worktree remove --force "$W" >/dev/null 2>&1
        git worktree add --detach "$W" "$OLD" >/dev/null 2>&1 || { echo "cannot check out $OLD"; exit 1; }
        make -C "$W" -j2 all >"$LG_TMP/old-build.log" 2>&1 || { tail "$LG_TMP/old-build.log"; exit 1; }
fi
lg_start_bus
lg_start_logind
cp conf/loginguard.conf "$LG_TMP/loginguard.conf" # as bench_double
LG_INTERVAL_MS=1000 LG_PROBE_TIMEOUT_MS=1000 lg_guardd_conf
for arm in old new; do
        # Under /run, a tmpfs in this namespace, as /run/loginguard is on a
        # host: a shared mapping of a file on disk takes a write fault per
        # page written even after MAP_POPULATE (the filesystem tracks dirty
        # pages); two more page faults a login than a user's host pays.
        mkdir -p -m 0700 "/run/loginguard-$arm"
        { cat "$LG_TMP/guardd.conf"; echo "state_dir = /run/loginguard-$arm"; echo "status_path = $LG_TMP/status-$arm"; } \
                >"$LG_TMP/guardd-$arm.conf"
done
"$W/build/guardd" --config "$LG_TMP/guardd-old.conf" --foreground >"$LG_TMP/guardd-old.log" 2>&1 &
lg_track $!
"$B/guardd" --config "$LG_TMP/guardd-new.conf" --foreground >"$LG_TMP/guardd-new.log" 2>&1 &
lg_track $!
for arm in old new; do
        GUARDD_STATUS=$LG_TMP/status-$arm
        lg_wait_status WATCHDOG guardd 20 || { echo "guardd ($arm) does not watch"; cat "$LG_TMP/guardd-$arm.log"; exit 1; }
done
opts() { echo "conf=$LG_TMP/loginguard.conf state_dir=/run/loginguard-$1 status=$LG_TMP/status-$1"; }
lg_service stock "session required pam_permit.so" "session optional $PAM_SYSTEMD"
lg_service old "session required pam_permit.so" "session optional $W/build/pam_loginguard.so $(opts old) wrap=$PAM_SYSTEMD"
lg_service new "session required pam_permit.so" "session optional $B/pam_loginguard.so $(opts new) wrap=$PAM_SYSTEMD"
for arm in stock old new; do : >"$LG_TMP/$arm.total"; done
orders=("stock old new" "old new stock" "new stock old" "stock new old" "new old stock" "old stock new")
(
        ulimit -Sn 1024
        for ((i = 0; i < N; i++)); do
                for arm in ${orders[$((i % 6))]}; do
                        lg_kv "$(lg_driver "$arm")" total_usec >>"$LG_TMP/$arm.total"
                done
        done
)
echo "A/B of the healthy path: $N rounds, one login per process, pam_start..pam_end"
echo "old: $(git rev-parse --short "$OLD") ($W), new: $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+changes') ($B)"
echo "watched by guardd: old $(sed -n 's/^WATCH_CALLS=//p' "$LG_TMP/status-old"), new $(sed -n 's/^WATCH_CALLS=//p' "$LG_TMP/status-new") calls"
for arm in stock old new; do
        read -r lo hi < <(medci "$LG_TMP/$arm.total")
        echo "median $arm: $(median "$LG_TMP/$arm.total") us (95% CI $lo-$hi)"
done
for pair in "old new" "stock new" "stock old"; do
        set -- $pair
        diffs "$LG_TMP/$1.total" "$LG_TMP/$2.total" >"$LG_TMP/d"
        read -r lo hi < <(medci "$LG_TMP/d")
        echo "paired $2 - $1: median $(median "$LG_TMP/d") us (95% CI $lo-$hi)"
done
exit 0
