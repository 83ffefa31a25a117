#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Cut only a stuck call, never one logind is completing. The logind double
# takes CreateSession, writes the session's state file naming the caller
# as LEADER (as logind 252 does at once) and answers only later, like
# logind waiting for PID 1 to start the scope and user@.service:
#   answer after 2.5 s, deadline 1 s, patience 8 s -> waited, registered,
#     counted late, the breaker (trip=1) stays closed;
#   the same without a state file (nothing says logind took it) -> cut at
#     the deadline;
#   answer after 4 s, patience 2 s -> cut once patience is over; that
#     user's own breaker opens, the host's stays closed;
#   no state file, but guardd's fresh status says PID 1 is stuck ->
#     waited (logind may hold the request in a call to PID 1).
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_find_pam_systemd
lg_start_bus
: >"$LG_TMP/empty.conf"
state=$LG_TMP/state
sessions=$LG_TMP/sessions-state
status=$LG_TMP/status
mkdir -p "$sessions"
bkey() { "$B/tests/status-tool" breaker "$state/breaker-pam_systemd" | sed -n "s/^$1=//p"; }
service() { # PATIENCE_MS
        lg_service guarded "$(lg_module_line optional "conf=$LG_TMP/empty.conf state_dir=$state status=$status sessions_dir=$sessions deadline=1000 patience=$1 trip=1" wrap="$PAM_SYSTEMD")" \
                "session required pam_permit.so"
}
double() { # ARGS...
        [ -n "${LOGIND_PID:-}" ] && kill "$LOGIND_PID" 2>/dev/null && wait "$LOGIND_PID" 2>/dev/null
        lg_start_logind "$@"
}

# A healthy call first: its time is the baseline of the bounds below.
service 8000
double
out=$(lg_driver guarded)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=c[0-9]+$' "healthy: registered"
base=$(($(lg_kv "$out" open_usec) / 1000))

double --state-dir "$sessions" --reply-after-ms 2500
out=$(lg_driver guarded)
ms=$(($(lg_kv "$out" open_usec) / 1000))
lg_assert_match "$out" '^env\.XDG_SESSION_ID=c[0-9]+$' "taken, answered late: the session is registered"
lg_assert_nomatch "$out" '^env\.LOGINGUARD_FALLBACK=' "taken, answered late: no fallback"
lg_assert_ge "$ms" 2400 "taken, answered late: the module waited past the deadline (ms)"
lg_assert_le "$ms" 7000 "taken, answered late: well within patience (ms)"
lg_assert_eq "$(lg_kv "$out" close_rc)" PAM_SUCCESS "taken, answered late: close_session runs normally"
lg_assert_eq "$(bkey LATE)" 1 "counted as late"
lg_assert_eq "$(bkey CUTS)" 0 "not counted as cut"
lg_assert_eq "$(bkey STATE)" closed "breaker (trip=1) stays closed: a late call is not held against logind"

double --reply-after-ms 2500
out=$(lg_driver guarded)
ms=$(($(lg_kv "$out" open_usec) / 1000))
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" deadline "no state file: cut at the deadline"
lg_assert_within "$ms" 1000 "$base" "no state file: cut at the deadline (ms)"
lg_assert_eq "$(bkey STATE)" open "a cut opens the breaker (trip=1)"
rm -f "$state/breaker-pam_systemd"

service 2000
double --state-dir "$sessions" --reply-after-ms 4000
out=$(lg_driver guarded)
ms=$(($(lg_kv "$out" open_usec) / 1000))
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" patience "taken but not answered within patience: cut then"
lg_assert_ge "$ms" 1900 "patience: waited until patience (ms)"
lg_assert_within "$ms" 2000 "$base" "patience: cut when patience is over (ms)"
lg_assert_match "$(lg_kv "$out" msg.info)" 'did not complete within patience=2000 ms' "the person logging in is told why"
# logind took it and then waited: the user's trouble, not logind's.
lg_assert_eq "$(bkey STATE)" closed "a user's own stuck call leaves the host breaker closed (trip=1)"
lg_assert_eq "$(bkey CUTS)" 1 "but the host's counters count it"
ubkey() { "$B/tests/status-tool" breaker "$(ls "$state/users"/breaker-pam_systemd.u* | head -n 1)" | sed -n "s/^$1=//p"; }
lg_assert_eq "$(ubkey STATE)" open "root's own breaker opens (trip=1)"
out=$(lg_driver guarded)
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" user "root's next login skips by root's own breaker"
rm -rf "$state/breaker-pam_systemd" "$state/users"

service 8000
double --reply-after-ms 2500
"$B/tests/status-tool" write "$status" LOGIN1=stuck LOGIN1_ACTION=allow PID1=stuck
out=$(lg_driver guarded)
ms=$(($(lg_kv "$out" open_usec) / 1000))
lg_assert_match "$out" '^env\.XDG_SESSION_ID=c[0-9]+$' "guardd says PID 1 is stuck: the call is not cut, it completes"
lg_assert_ge "$ms" 2400 "PID 1 stuck: waited (ms)"
"$B/tests/status-tool" write "$status" --age-ms 60000 LOGIN1=stuck LOGIN1_ACTION=allow PID1=stuck
out=$(lg_driver guarded)
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" deadline "a stale status is no evidence: cut at the deadline"
lg_done
