#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# One user's stuck logins never change another user's (issue 23). The
# logind double takes every CreateSession (its session file names the
# caller) and answers late only for the "stuck" users' uids, as logind
# does while PID 1 starts a user@UID.service that hangs:
#   daemon (uid 1) stuck: cut after patience, twice -> daemon's own breaker
#     opens (trip=2) and daemon's next login skips it at once
#     (LOGINGUARD_FALLBACK=user); the host's breaker stays closed and
#     root's logins call logind and are registered, exactly as before;
#   bin and sys stuck too: the third user's stuck call within the window
#     is host-wide evidence: the host's breaker opens for everybody;
#   the counters are exact: every fallback counted once on the host.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_find_pam_systemd
lg_start_bus
: >"$LG_TMP/empty.conf"
state=$LG_TMP/state
sessions=$LG_TMP/sessions-state
mkdir -p "$sessions"
for u in daemon bin sys; do getent passwd "$u" >/dev/null || lg_skip "no user $u here"; done
lg_service guarded "$(lg_module_line optional "conf=$LG_TMP/empty.conf state_dir=$state status=$LG_TMP/none sessions_dir=$sessions deadline=1000 patience=2000 trip=2 window=120 cooldown=60" wrap="$PAM_SYSTEMD")" \
        "session required pam_permit.so"
lg_start_logind --state-dir "$sessions" --reply-after-ms 30000 --slow-uids 1,2,3
bkey() { "$B/tests/status-tool" breaker "$state/breaker-pam_systemd" | sed -n "s/^$1=//p"; }
user_file() { ls "$state/users"/breaker-pam_systemd.u* 2>/dev/null; }
login() { OUT=$(lg_driver guarded --user "$1" --ops open,close); FB=$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK); }

login root
lg_assert_match "$OUT" '^env\.XDG_SESSION_ID=c[0-9]+$' "healthy: root registered"
base=$(($(lg_kv "$OUT" open_usec) / 1000))

login daemon
lg_assert_eq "$FB" patience "daemon, 1st: logind took it, cut after patience"
login daemon
lg_assert_eq "$FB" patience "daemon, 2nd: cut after patience"
lg_assert_eq "$(user_file | wc -l)" 1 "one per-user breaker file: daemon's"
lg_assert_eq "$("$B/tests/status-tool" breaker "$(user_file)" | sed -n 's/^STATE=//p')" open "daemon's own breaker is open (trip=2)"
lg_assert_eq "$(stat -c '%U %a' "$(user_file)")" "root 644" "per-user file root's, 0644"
lg_assert_eq "$(stat -c '%U %a' "$state/users")" "root 755" "users directory root's, 0755"
lg_assert_eq "$(bkey STATE)" closed "the host's breaker stays closed"
login daemon
lg_assert_eq "$FB" user "daemon, 3rd: skipped by daemon's own breaker"
lg_assert_within "$(($(lg_kv "$OUT" open_usec) / 1000))" 0 "$base" "daemon's skip: no wait (ms)"
for i in 1 2 3; do
        login root
        lg_assert_match "$OUT" '^env\.XDG_SESSION_ID=c[0-9]+$' "root's login $i: registered, as with stock pam_systemd"
        lg_assert_eq "$FB" "" "root's login $i: no fallback"
done
lg_assert_eq "$(bkey CUTS)" 2 "host counts daemon's two cuts"
lg_assert_eq "$(bkey SKIPS)" 1 "and daemon's skip"
lg_assert_eq "$(bkey FALLBACKS)" 3 "every fallback counted once"

# Two more users stuck: three distinct users within the window.
login bin
lg_assert_eq "$FB" patience "bin: cut after patience"
lg_assert_eq "$(bkey STATE)" closed "two users stuck: still the users' trouble"
login sys
lg_assert_eq "$FB" patience "sys: cut after patience"
lg_assert_eq "$(bkey STATE)" open "three users stuck within the window: the host's breaker opens"
login root
lg_assert_eq "$FB" breaker "root's login now skips by the host's breaker"
lg_assert_eq "$(bkey FALLBACKS)" 6 "every fallback counted once (3 + bin + sys + root's skip)"
lg_done
