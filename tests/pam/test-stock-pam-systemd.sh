#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Harness self-test with the distribution's real pam_systemd.so: against
# the healthy logind double it registers a session; with the double frozen
# it is still blocked after 3 s. That block is the failure loginguard
# exists for (Debian 12 waits 120 s).
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_login_stack

lg_service stock "session required $PAM_SYSTEMD"
out=$(lg_driver stock)
lg_assert_eq "$(lg_kv "$out" open_rc)" PAM_SUCCESS "stock pam_systemd opens a session on the healthy double"
lg_assert_match "$out" '^env\.XDG_SESSION_ID=c[0-9]+$' "XDG_SESSION_ID is set"
lg_assert_eq "$(lg_kv "$out" close_rc)" PAM_SUCCESS "close_session succeeds"
lg_assert_match "$(cat "$LG_TMP/logind.log")" '^CreateSession uid=0 .*service=stock' "the double saw CreateSession"
lg_assert_match "$(cat "$LG_TMP/logind.log")" '^ReleaseSession id=c1' "the double saw ReleaseSession"

lg_freeze "$LOGIND_PID"
timeout -s KILL 3 "$B/tests/pam-driver" --confdir "$LG_TMP/pam.d" --service stock >"$LG_TMP/frozen.out" 2>&1
rc=$?
lg_assert_eq "$rc" 137 "stock pam_systemd is still blocked after 3 s on a frozen logind"
lg_assert_nomatch "$(cat "$LG_TMP/frozen.out")" '^open_rc=' "no open_session result within 3 s"
lg_done
