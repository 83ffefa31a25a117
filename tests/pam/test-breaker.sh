#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The circuit breaker: trips after `trip` cut calls, then skips at once;
# after the cooldown exactly one trial goes through; a trial in time
# closes it, a cut trial reopens it with the cooldown doubled; a corrupt
# breaker file is recreated without hurting the login.
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
bkey() { sed -n "s/^$1=//p" "$bfile"; }

out=$(login)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "closed breaker: healthy login registered"
lg_assert_eq "$(bkey STATE)" closed "breaker file says closed"

lg_freeze "$LOGIND_PID"
out1=$(login); out2=$(login)
lg_assert_match "$out1$out2" 'LOGINGUARD_FALLBACK=deadline' "frozen: first logins are cut at the deadline"
lg_assert_eq "$(bkey STATE)" open "breaker open after trip=2 cuts"
lg_assert_eq "$(bkey CUTS)" 2 "two cuts counted"
out=$(login)
lg_assert_match "$out" '^env\.LOGINGUARD_FALLBACK=breaker$' "open breaker: login skips the wrapped module"
lg_assert_le "$(lg_kv "$out" open_usec)" 100000 "open breaker: skip is immediate (generous 100 ms bound)"
lg_assert_eq "$(lg_kv "$out" open_rc)" PAM_SUCCESS "open breaker: the stack still succeeds"
lg_assert_ge "$(bkey SKIPS)" 1 "skips counted"

# Half-open with logind still frozen: 8 concurrent logins, exactly one trial.
sleep 2.2
pids=""
for i in 1 2 3 4 5 6 7 8; do login --ops open >"$LG_TMP/c$i.out" & pids="$pids $!"; done
# shellcheck disable=SC2086
wait $pids
trials=$(cat "$LG_TMP"/c*.out | grep -c '^env.LOGINGUARD_FALLBACK=deadline$')
skips=$(cat "$LG_TMP"/c*.out | grep -c '^env.LOGINGUARD_FALLBACK=breaker$')
lg_assert_eq "$trials" 1 "after the cooldown exactly one trial call is let through"
lg_assert_eq "$skips" 7 "the other concurrent logins keep skipping"
lg_assert_eq "$(bkey STATE)" open "cut trial reopens the breaker"
lg_assert_eq "$(bkey COOLDOWN_USEC)" 4000000 "cooldown doubled after a failed trial"

# Trial in time closes it.
lg_thaw "$LOGIND_PID"
sleep 4.2
out=$(login)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "successful trial: session registered"
lg_assert_eq "$(bkey STATE)" closed "successful trial closes the breaker"

# Corrupt breaker file: recreated, login unaffected.
printf 'garbage\n\0\1\2' >"$bfile"
out=$(login)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "corrupt breaker file: login unaffected"
lg_assert_eq "$(head -n 1 "$bfile")" FORMAT=1 "corrupt breaker file recreated"

# A state dir writable by others is not trusted: no breaker, logins go on.
chmod 0777 "$state"
lg_freeze "$LOGIND_PID"
login >/dev/null; login >/dev/null
out=$(login)
lg_assert_match "$out" '^env\.LOGINGUARD_FALLBACK=deadline$' "untrusted state dir: breaker not used, deadline still protects"
lg_assert_eq "$(bkey STATE)" closed "untrusted state dir: breaker file not written"
chmod 0755 "$state"
lg_thaw "$LOGIND_PID"
lg_done
