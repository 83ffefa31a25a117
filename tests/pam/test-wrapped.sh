#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# pam_loginguard around the real pam_systemd: healthy passthrough, frozen
# logind cut at the deadline, frozen dbus-daemon, slow logind under the
# deadline, failing logind passes its answer through, and fd/thread
# counts unchanged by every call.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_login_stack

conf=$LG_TMP/empty.conf
: >"$conf"
opts="conf=$conf state_dir=$LG_TMP/state status=$LG_TMP/status deadline=1000 trip=50"
lg_service wrapped "$(lg_module_line required "$opts" wrap="$PAM_SYSTEMD")" \
        "session required pam_permit.so"
lg_service stock "session required $PAM_SYSTEMD"

# Healthy: same answer as unwrapped, session registered.
stock=$(lg_driver stock)
out=$(lg_driver wrapped)
lg_assert_eq "$(lg_kv "$out" open_rc)" "$(lg_kv "$stock" open_rc)" "healthy: same open_session answer as unwrapped"
lg_assert_match "$out" '^env\.XDG_SESSION_ID=c[0-9]+$' "healthy: session registered through the wrapper"
lg_assert_nomatch "$out" '^env\.LOGINGUARD_FALLBACK=' "healthy: no fallback"
base=$(($(lg_kv "$out" open_usec) / 1000)) # the healthy call, for the bounds below
lg_assert_eq "$(lg_kv "$out" close_rc)" PAM_SUCCESS "healthy: close_session passes through"
# pam_systemd keeps the session FIFO open on purpose (logind watches the
# process die through it): the wrapper must add nothing to that.
stock_delta=$(($(lg_kv "$stock" fds_after) - $(lg_kv "$stock" fds_before)))
lg_assert_eq "$(($(lg_kv "$out" fds_after) - $(lg_kv "$out" fds_before)))" "$stock_delta" \
        "healthy: no fd leaked beyond pam_systemd's own session FIFO"
lg_assert_eq "$(lg_kv "$out" threads_after)" "$(lg_kv "$out" threads_before)" "healthy: no thread left"
lg_assert_match "$(cat "$LG_TMP/logind.log")" "ReleaseSession id=$(lg_kv "$out" env.XDG_SESSION_ID)" \
        "healthy: wrapped close released the session"

# Failing logind: the wrapped module's own answer passes through unchanged.
kill "$LOGIND_PID"; wait "$LOGIND_PID" 2>/dev/null
lg_start_logind --fail-with org.freedesktop.login1.Failed
stock=$(lg_driver stock --ops open)
out=$(lg_driver wrapped --ops open)
lg_assert_eq "$(lg_kv "$out" open_rc)" "$(lg_kv "$stock" open_rc)" "failing logind: answer passed through"
kill "$LOGIND_PID"; wait "$LOGIND_PID" 2>/dev/null

# Slow logind under the deadline: passes through and registers.
lg_start_logind --delay-ms 300
out=$(lg_driver wrapped)
lg_assert_eq "$(lg_kv "$out" open_rc)" PAM_SUCCESS "slow logind (300 ms) under a 1000 ms deadline: success"
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "slow logind: registered"
kill "$LOGIND_PID"; wait "$LOGIND_PID" 2>/dev/null

# Frozen logind: cut at the deadline, PAM_IGNORE, fallback set, stack continues.
lg_start_logind
lg_freeze "$LOGIND_PID"
out=$(lg_driver wrapped)
usec=$(lg_kv "$out" open_usec)
lg_assert_eq "$(lg_kv "$out" open_rc)" PAM_SUCCESS "frozen logind: the stack still succeeds (wrapped answers PAM_IGNORE)"
lg_assert_within "$((usec / 1000))" 1000 "$base" "frozen logind: open returns at the deadline (ms)"
lg_assert_ge "$((usec / 1000))" 950 "frozen logind: it did wait for the deadline first"
lg_assert_match "$out" '^env\.LOGINGUARD_FALLBACK=deadline$' "frozen logind: LOGINGUARD_FALLBACK=deadline"
lg_assert_nomatch "$out" '^env\.XDG_SESSION_ID=' "frozen logind: no session registered"
lg_assert_match "$out" '^msg\.info=loginguard: this session runs without systemd-logind' "frozen logind: the user is told"
lg_assert_within "$(($(lg_kv "$out" close_usec) / 1000))" 0 "$base" "close after a cut open skips the wrapped close (no deadline wait, ms)"
lg_assert_eq "$(lg_kv "$out" fds_after)" "$(lg_kv "$out" fds_before)" "frozen logind: no fd leaked"
lg_assert_eq "$(lg_kv "$out" threads_after)" "$(lg_kv "$out" threads_before)" "frozen logind: no thread left"

# nonotify and PAM_SILENT keep the user message away.
lg_service quiet "$(lg_module_line required "$opts" nonotify wrap="$PAM_SYSTEMD")"
out=$(lg_driver quiet)
lg_assert_nomatch "$out" '^msg\.' "nonotify: nothing shown"
out=$(lg_driver wrapped --silent)
lg_assert_nomatch "$out" '^msg\.' "PAM_SILENT: nothing shown"
lg_thaw "$LOGIND_PID"

# Frozen dbus-daemon: same.
lg_freeze "$BUS_PID"
out=$(lg_driver wrapped)
usec=$(lg_kv "$out" open_usec)
lg_assert_within "$((usec / 1000))" 1000 "$base" "frozen dbus-daemon: open returns at the deadline (ms)"
lg_assert_match "$out" '^env\.LOGINGUARD_FALLBACK=deadline$' "frozen dbus-daemon: fallback set"
lg_assert_eq "$(lg_kv "$out" open_rc)" PAM_SUCCESS "frozen dbus-daemon: stack continues"
lg_thaw "$BUS_PID"
lg_done
