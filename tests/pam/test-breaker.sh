#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The circuit breaker with the real pam_systemd: a healthy login writes
# nothing; `trip` cut calls open it and later logins skip at once; after
# the cooldown exactly one of many concurrent logins is let through as the
# trial; a cut trial reopens it with the cooldown doubled; a trial that
# answers closes it; a corrupt file is ignored and replaced; an untrusted
# state directory is not used.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_login_stack
: >"$LG_TMP/empty.conf"
state=$LG_TMP/state
bfile=$state/breaker-pam_systemd
opts="conf=$LG_TMP/empty.conf state_dir=$state status=$LG_TMP/none deadline=500 trip=2 cooldown=2 window=60"
lg_service guarded "$(lg_module_line optional "$opts" wrap="$PAM_SYSTEMD")" "session required pam_permit.so"

login() { lg_driver guarded "$@"; }
bkey() { "$B/tests/status-tool" breaker "$bfile" | sed -n "s/^$1=//p"; }

out=$(login)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "closed breaker: healthy login registered"
base=$(($(lg_kv "$out" open_usec) / 1000))
lg_check "a healthy login writes no breaker file (none = closed)" test ! -e "$bfile"

lg_freeze "$LOGIND_PID"
out1=$(login)
out2=$(login)
lg_assert_match "$out1$out2" 'LOGINGUARD_FALLBACK=deadline' "frozen: first logins are cut at the deadline"
lg_assert_eq "$(bkey STATE)" open "breaker open after trip=2 cuts"
lg_assert_eq "$(bkey CUTS)" 2 "two cuts counted"
lg_assert_eq "$(stat -c '%U %a' "$bfile")" "root 644" "breaker file root's, mode 0644"
out=$(login)
lg_assert_match "$out" '^env\.LOGINGUARD_FALLBACK=breaker$' "open breaker: login skips the wrapped module"
# Below the 500 ms deadline: a call that waited for it would not pass.
LG_SLACK_MIN_MS=400 lg_assert_within "$(($(lg_kv "$out" open_usec) / 1000))" 0 "$base" "open breaker: skip is immediate, no deadline wait (ms)"
lg_assert_eq "$(lg_kv "$out" open_rc)" PAM_SUCCESS "open breaker: the stack still succeeds"
lg_assert_eq "$(bkey SKIPS)" 1 "the skip counted"

# Half-open with logind still frozen: 8 concurrent logins, exactly one trial.
lg_wait_cooldown "$bfile" 2
pids=""
for i in 1 2 3 4 5 6 7 8; do
        login --ops open >"$LG_TMP/c$i.out" &
        pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
trials=$(cat "$LG_TMP"/c*.out | grep -c '^env.LOGINGUARD_FALLBACK=deadline$')
skips=$(cat "$LG_TMP"/c*.out | grep -c '^env.LOGINGUARD_FALLBACK=breaker$')
lg_assert_eq "$trials" 1 "after the cooldown exactly one trial call is let through"
lg_assert_eq "$skips" 7 "the other concurrent logins keep skipping"
lg_assert_eq "$(bkey STATE)" open "cut trial reopens the breaker"
lg_assert_eq "$(bkey LEVEL)" 1 "cooldown doubled after a failed trial"
lg_assert_eq "$(bkey TRIALS)" 1 "one trial counted"
lg_assert_eq "$(bkey FALLBACKS)" 11 "every fallback counted: 3 cuts + 8 skips"

# Trial in time closes it.
lg_thaw "$LOGIND_PID"
lg_wait_cooldown "$bfile" 2 # doubled: 4 s
out=$(login)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "successful trial: session registered"
lg_assert_eq "$(bkey STATE)" closed "successful trial closes the breaker"

# Corrupt breaker file: ignored, the login unaffected; replaced on the next write.
printf 'garbage\n\0\1\2' >"$bfile"
out=$(login)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "corrupt breaker file: login unaffected"
lg_freeze "$LOGIND_PID"
out=$(login)
lg_assert_eq "$(bkey CUTS)" 1 "corrupt breaker file replaced by a fresh one on the next cut"
lg_thaw "$LOGIND_PID"

# A breaker left by a previous boot (state_dir on persistent storage):
# ignored, however open it says it is.
"$B/tests/status-tool" breaker-forge "$bfile" open
out=$(login)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "an open breaker of another boot is ignored: login registered"
lg_assert_nomatch "$out" 'LOGINGUARD_FALLBACK' "an open breaker of another boot is ignored: no fallback"

# A state dir writable by others is not trusted: no breaker, logins go on.
rm -f "$bfile"
chmod 0777 "$state"
lg_freeze "$LOGIND_PID"
login >/dev/null
login >/dev/null
out=$(login)
lg_assert_match "$out" '^env\.LOGINGUARD_FALLBACK=deadline$' "untrusted state dir: breaker not used, deadline still protects"
lg_check "untrusted state dir: breaker file not written" test ! -e "$bfile"
chmod 0755 "$state"
lg_thaw "$LOGIND_PID"
lg_done
