#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Every example in the manual pages is what the code does or prints:
#   - pam_loginguard(8)'s log line is the line a cut login sends to
#     /dev/log (a /dev/log double records it);
#   - every PAM line in pam_loginguard(8)'s EXAMPLES and loginguard-pam(8)
#     loads with libpam, with no option refused, and registers a login
#     (the ConsoleKit one is checked for its options only: Debian has no
#     pam_ck_connector);
#   - loginguard-pam(8)'s before/after pair is what loginguard-pam writes;
#   - every page's .TH carries the Makefile's version.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_login_stack
V=$(sed -n 's/^VERSION := //p' "$LG_ROOT/Makefile")
PAGE=$LG_ROOT/docs/pam_loginguard.8
# man_blocks PAGE SECTION: the lines of the .nf/.fi blocks of SECTION.
man_blocks() {
        awk -v sec="$2" '/^\.SH / { on = ($0 == ".SH " sec) } on && /^\.nf/ { b = 1; next } /^\.fi/ { b = 0 }
                on && b && !/^\.(RS|RE)/ { gsub(/\\-/, "-"); print }' "$1"
}
devlog=$LG_TMP/devlog.sock
lg_start_devlog "$devlog"
: >"$LG_TMP/empty.conf"
rec_has() { grep -Eq -- "$1" "$LG_TMP/devlog.rec" 2>/dev/null; }

# --- the log line
example=$(man_blocks "$PAGE" LOGGING)
lg_assert_match "$example" '^sshd\[4242\]: pam_loginguard\(sshd:session\): ' "pam_loginguard(8) shows a log line"
lg_service sshd "$(lg_module_line optional "conf=$LG_TMP/empty.conf status=$LG_TMP/none state_dir=$LG_TMP/state devlog_path=$devlog deadline=2000" wrap="$PAM_SYSTEMD")" \
        "session required pam_permit.so"
lg_freeze "$LOGIND_PID"
out=$(lg_driver sshd --ops open)
lg_thaw "$LOGIND_PID"
lg_assert_match "$out" '^env\.LOGINGUARD_FALLBACK=deadline$' "a login with logind frozen is cut at the deadline"
# The example with this run's program and pid in place of sshd's.
re=$(printf '%s' "$example" | sed 's/[][().*^$]/\\&/g; s/^sshd\\\[4242\\\]/pam-driver\\[[0-9]+\\]/')
lg_until 10 rec_has ">$re\$" || true
lg_assert_match "$(sed 's/^<[0-9]*>//' "$LG_TMP/devlog.rec")" "^$re\$" "the log line in pam_loginguard(8) is the line a cut login sends"

# --- the PAM lines
n=0
while IFS= read -r line; do
        [ -n "$line" ] || continue
        n=$((n + 1))
        mod=$(sed -n 's/.*wrap=\([^ ]*\).*/\1/p' <<<"$line")
        # The module from this build; the wrapped module where it is installed.
        l=${line/pam_loginguard.so/$B/pam_loginguard.so conf=$LG_TMP/empty.conf status=$LG_TMP/none state_dir=$LG_TMP/state-$n devlog_path=$devlog}
        : >"$LG_TMP/devlog.rec"
        if [ "$mod" = pam_systemd.so ]; then
                l=${l/wrap=pam_systemd.so/wrap=$PAM_SYSTEMD}
                lg_service ex$n "$l" "session required pam_permit.so"
                out=$(lg_driver ex$n --ops open,close)
                lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "example '$line': loads and registers the login"
        else
                lg_service ex$n "$l" "session required pam_permit.so"
                out=$(lg_driver ex$n --ops open,close)
                lg_assert_match "$out" '^open_rc=PAM_SUCCESS$' "example '$line': loads, the login succeeds ($mod is not installed here)"
        fi
        sleep 0.2
        lg_check "example '$line': no option refused" sh -c "! grep -q 'Unknown option\\|Option .*ignoring' '$LG_TMP/devlog.rec'"
done < <(man_blocks "$PAGE" EXAMPLES | sed -n 's/^-\{0,1\}session \([a-z]*\) /session \1 /p'; man_blocks "$LG_ROOT/docs/loginguard-pam.8" DESCRIPTION | grep pam_loginguard)
lg_assert_eq "$n" 4 "four example PAM lines checked (three in pam_loginguard(8), one in loginguard-pam(8))"

# --- loginguard-pam(8)'s before/after pair
pair=$(man_blocks "$LG_ROOT/docs/loginguard-pam.8" DESCRIPTION)
mkdir -p "$LG_TMP/root/etc/pam.d"
head -n 1 <<<"$pair" >"$LG_TMP/root/etc/pam.d/svc"
LOGINGUARD_PAM_CHECK=$B/loginguard-pam-check "$B/loginguard-pam" --root "$LG_TMP/root" enable >/dev/null 2>&1
lg_assert_eq "$(cat "$LG_TMP/root/etc/pam.d/svc")" "$(tail -n 1 <<<"$pair")" "loginguard-pam(8): enable turns its first line into its second"

# --- versions
for m in "$LG_ROOT"/docs/*.[58]; do
        lg_assert_match "$(sed -n 2p "$m")" "\"loginguard ${V//./\\.}\"" "$(basename "$m"): .TH names loginguard $V"
done
lg_done
