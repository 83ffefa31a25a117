#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# 200 concurrent logins with logind frozen: all complete within deadline
# + 1 s, none refused, and the breaker file is consistent afterwards.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_login_stack
: >"$LG_TMP/empty.conf"
N=${LG_LOAD_N:-200}
opts="conf=$LG_TMP/empty.conf state_dir=$LG_TMP/state status=$LG_TMP/none deadline=1000"
lg_service guarded "$(lg_module_line optional "$opts" wrap="$PAM_SYSTEMD")" "session required pam_permit.so"
lg_freeze "$LOGIND_PID"

t0=$(date +%s%N)
pids=""
for i in $(seq 1 "$N"); do
        lg_driver guarded >"$LG_TMP/l$i.out" 2>&1 &
        pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
wall=$((($(date +%s%N) - t0) / 1000000))
lg_log "$N concurrent logins with logind frozen took ${wall} ms wall time"

ok=$(cat "$LG_TMP"/l*.out | grep -c '^open_rc=PAM_SUCCESS$')
lg_assert_eq "$ok" "$N" "all $N logins completed with success"
max=$(cat "$LG_TMP"/l*.out | sed -n 's/^open_usec=//p' | sort -n | tail -1)
lg_assert_le "$((max / 1000))" 2000 "slowest open_session within deadline + 1 s"
fb=$(cat "$LG_TMP"/l*.out | grep -c '^env.LOGINGUARD_FALLBACK=')
lg_assert_eq "$fb" "$N" "every login fell back (cut or skipped)"
bfile=$LG_TMP/state/breaker-pam_systemd
lg_check "breaker file parses (FORMAT=1 first)" test "$(head -n 1 "$bfile")" = FORMAT=1
lg_assert_eq "$(sed -n 's/^STATE=//p' "$bfile")" open "breaker open afterwards"
lg_thaw "$LOGIND_PID"
lg_done
