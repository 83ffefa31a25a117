#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The real setuid su, run by an unprivileged user: setuid programs ignore
# DBUS_SYSTEM_BUS_ADDRESS, so the private bus sits at the real
# /run/dbus/system_bus_socket inside this namespace. Healthy -> registered;
# logind frozen and dbus-daemon frozen -> a shell within the deadline
# (plus a slack from healthy su logins timed in this run) with
# LOGINGUARD_FALLBACK in it.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
[ -u /usr/bin/su ] || lg_skip "/usr/bin/su is not setuid here"
command -v setpriv >/dev/null || lg_skip "setpriv(1) missing"
[ -z "${SANITIZE:-}" ] || lg_skip "setuid su cannot load an ASan-built module"
lg_e2e_setup
cd /
su_login() { # -> OUT, MS (as nobody, through the setuid binary)
        local t0=$(date +%s%N)
        OUT=$(timeout 60 env -u DBUS_SYSTEM_BUS_ADDRESS setpriv --reuid=65534 --regid=65534 --clear-groups \
                /usr/bin/su root -c "$LG_SHOW_ENV" 2>&1)
        MS=$((($(date +%s%N) - t0) / 1000000))
}

su_login
lg_assert_match "$OUT" '^XDG_SESSION_ID=c[0-9]+ LOGINGUARD_FALLBACK= ' "healthy: setuid su session registered"
lg_assert_match "$(cat "$LG_TMP/logind.log")" 'CreateSession uid=0 .*service=su' "the logind double saw su's CreateSession"
base=$MS
for _ in 1 2; do
        su_login
        base=$(lg_max "$base" "$MS")
done
lg_log "healthy su logins: slowest ${base} ms (the baseline)"

lg_freeze "$LOGIND_PID"
su_login
lg_assert_match "$OUT" 'LOGINGUARD_FALLBACK=(deadline|status)' "logind frozen: su shell with LOGINGUARD_FALLBACK"
lg_assert_within "$MS" "$E2E_DEADLINE_MS" "$base" "logind frozen: su within the deadline (ms)"
lg_thaw "$LOGIND_PID"
lg_check "guardd: allow again" lg_wait_status LOGIN1_ACTION allow 15
rm -f /run/loginguard/breaker-pam_systemd

lg_freeze "$BUS_PID"
su_login
lg_assert_match "$OUT" 'LOGINGUARD_FALLBACK=(deadline|status)' "dbus-daemon frozen: su shell with the fallback"
lg_assert_within "$MS" "$E2E_DEADLINE_MS" "$base" "dbus-daemon frozen: su within the deadline (ms)"
lg_thaw "$BUS_PID"
lg_done
