#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The two parts together: guardd sees logind frozen and says skip; the
# module then skips pam_systemd without touching the bus (no deadline
# wait even for the first login); FALLBACKS counts those logins.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_login_stack
LG_INTERVAL_MS=200 LG_PROBE_TIMEOUT_MS=200
lg_guardd_conf
lg_start_guardd
: >"$LG_TMP/empty.conf"
opts="conf=$LG_TMP/empty.conf state_dir=$LG_TMP/state status=$GUARDD_STATUS deadline=2000"
lg_service login "$(lg_module_line optional "$opts" wrap="$PAM_SYSTEMD")" "session required pam_permit.so"

lg_check "guardd: allow" lg_wait_status LOGIN1_ACTION allow 5
out=$(lg_driver login)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "healthy: registered"
base=$(($(lg_kv "$out" open_usec) / 1000))

lg_freeze "$LOGIND_PID"
lg_check "guardd: skip" lg_wait_status LOGIN1_ACTION skip 5
before=$(grep -c '^CreateSession' "$LG_TMP/logind.log")
for i in 1 2 3; do
        out=$(lg_driver login)
        lg_assert_match "$out" '^env\.LOGINGUARD_FALLBACK=status$' "login $i: skipped on guardd's word"
        lg_assert_within "$(($(lg_kv "$out" open_usec) / 1000))" 0 "$base" "login $i: no deadline wait (ms)"
done
lg_assert_eq "$(grep -c '^CreateSession' "$LG_TMP/logind.log")" "$before" "the frozen logind was not even asked"
lg_check "FALLBACKS counts them" lg_wait_status FALLBACKS 3 5
lg_assert_eq "$(lg_status_key FALLBACKS_SKIPPED)/$(lg_status_key FALLBACKS_CUT)" 3/0 "FALLBACKS_SKIPPED counts them, FALLBACKS_CUT none"
m=$("$B/guardd" status --status "$GUARDD_STATUS" --prometheus)
lg_assert_match "$m" '^loginguard_fallbacks_skipped_total 3$' "Prometheus: loginguard_fallbacks_skipped_total 3"
lg_assert_match "$m" '^loginguard_fallbacks_cut_total 0$' "Prometheus: loginguard_fallbacks_cut_total 0"
lg_thaw "$LOGIND_PID"
lg_check "guardd: allow again after the hysteresis" lg_wait_status LOGIN1_ACTION allow 5
out=$(lg_driver login)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "recovered: registered again"
lg_done
