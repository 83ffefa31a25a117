#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# cron's PAM service (Debian 12's file, tests/fixtures/pam/debian12-cron)
# through the PAM driver. Debian's cron includes the non-interactive
# session stack, which has no pam_systemd; RHEL's crond reaches it through
# password-auth. The test includes the wrapped common-session instead, so
# the cron stack runs through pam_loginguard as on RHEL: healthy ->
# registered; logind frozen, dbus-daemon frozen -> the job's session opens
# within the deadline (plus a slack from the healthy session's time in
# this run) with LOGINGUARD_FALLBACK.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_e2e_setup
sed 's/@include common-session-noninteractive/@include common-session/' "$LG_ROOT/tests/fixtures/pam/debian12-cron" \
        >"$LG_TMP/etc-pam.d/cron"
cron() { OUT=$(lg_driver_in /etc/pam.d cron); MS=$(($(lg_kv "$OUT" open_usec) / 1000)); }
lg_driver_in() { timeout 60 "$B/tests/pam-driver" --confdir "$1" --service "$2"; }

cron
if printf '%s\n' "$OUT" | grep -q '^open_rc=PAM_SESSION_ERR' && ! echo 0 >/proc/self/loginuid 2>/dev/null; then
        # pam_loginuid is required by Debian's cron file; some containers
        # forbid setting the loginuid.
        sed -i 's/^session    required     pam_loginuid.so/session    optional     pam_loginuid.so/' "$LG_TMP/etc-pam.d/cron"
        lg_log "this machine forbids setting the loginuid: pam_loginuid made optional"
        cron
fi
lg_assert_eq "$(lg_kv "$OUT" open_rc)" PAM_SUCCESS "healthy: cron session opens"
lg_assert_match "$OUT" '^env\.XDG_SESSION_ID=c[0-9]+$' "healthy: cron session registered"
base=$MS

lg_freeze "$LOGIND_PID"
cron
lg_assert_eq "$(lg_kv "$OUT" open_rc)" PAM_SUCCESS "logind frozen: cron session opens"
lg_assert_match "$OUT" '^env\.LOGINGUARD_FALLBACK=(deadline|status)$' "logind frozen: LOGINGUARD_FALLBACK"
lg_assert_within "$MS" "$E2E_DEADLINE_MS" "$base" "logind frozen: within the deadline (ms)"
lg_thaw "$LOGIND_PID"
lg_check "guardd: allow again" lg_wait_status LOGIN1_ACTION allow 15
rm -f /run/loginguard/breaker-pam_systemd

lg_freeze "$BUS_PID"
cron
lg_assert_eq "$(lg_kv "$OUT" open_rc)" PAM_SUCCESS "dbus-daemon frozen: cron session opens"
lg_assert_match "$OUT" '^env\.LOGINGUARD_FALLBACK=(deadline|status)$' "dbus-daemon frozen: LOGINGUARD_FALLBACK"
lg_assert_within "$MS" "$E2E_DEADLINE_MS" "$base" "dbus-daemon frozen: within the deadline (ms)"
lg_thaw "$BUS_PID"
lg_done
