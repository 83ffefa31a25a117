#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# loginguard-pam on copies of real distribution PAM trees
# (tests/fixtures/pam-trees): status, enable (control and arguments kept,
# backup first, dry-run writes nothing), disable (exact restore), files
# another package ships left alone unless --edit-conffiles, and refusals
# for authselect-managed files and unknown layouts.
. "$(dirname "$0")/../lib/harness.sh"
lg_setup
LP=$B/loginguard-pam
export LOGINGUARD_PAM_CHECK=$B/loginguard-pam-check
tree() { rm -rf "$LG_TMP/t"; cp -a "$LG_ROOT/tests/fixtures/pam-trees/$1" "$LG_TMP/t"; }
P=$LG_TMP/t/etc/pam.d

# Debian 12
tree debian12
out=$("$LP" --root "$LG_TMP/t" status)
lg_assert_match "$out" '^NOT wrapped  /etc/pam.d/common-session:[0-9]+: session optional pam_systemd.so' "debian: status lists the unwrapped line"
before=$(md5sum <"$P/common-session")
out=$("$LP" --root "$LG_TMP/t" enable --dry-run)
lg_assert_match "$out" '^\+session	optional	pam_loginguard.so wrap=pam_systemd.so $' "debian: --dry-run shows the rewrite"
lg_assert_eq "$(md5sum <"$P/common-session")" "$before" "debian: --dry-run changes nothing"
lg_check "debian: --dry-run writes nothing under the root (no new or changed file)" \
        diff -r "$LG_ROOT/tests/fixtures/pam-trees/debian12" "$LG_TMP/t"
# runuser-l is util-linux's conffile: listed with the change, not edited.
lg_assert_match "$out" 'runuser-l: shipped by util-linux: not edited' "debian: --dry-run names the package's file it leaves alone"
runuser_before=$(md5sum <"$P/runuser-l")
out=$("$LP" --root "$LG_TMP/t" enable); rc=$?
lg_assert_eq "$rc" 0 "debian: enable succeeds"
lg_assert_match "$(cat "$P/common-session")" '^session	optional	pam_loginguard.so wrap=pam_systemd.so $' "debian: line wrapped, control and spacing kept"
lg_assert_eq "$(md5sum <"$P/common-session.loginguard-orig")" "$before" "debian: backup is the original"
lg_assert_match "$out" 'pam-auth-update' "debian: mentions pam-auth-update"
lg_assert_eq "$(md5sum <"$P/runuser-l")" "$runuser_before" "debian: enable leaves util-linux's runuser-l alone"
lg_check "debian: no backup of runuser-l either" test ! -e "$P/runuser-l.loginguard-orig"
lg_assert_match "$out" $'line 4: -session\toptional\tpam_systemd.so\n +to: -session\toptional\tpam_loginguard.so wrap=pam_systemd.so' \
        "debian: enable prints the line to change by hand and what it becomes"
lg_assert_match "$("$LP" --root "$LG_TMP/t" status)" 'runuser-l is shipped by util-linux' "debian: status says who ships runuser-l"
lg_assert_match "$("$LP" --root "$LG_TMP/t" status)" '^wrapped      /etc/pam.d/common-session' "debian: status says wrapped"
out=$("$LP" --root "$LG_TMP/t" enable)
lg_assert_match "$out" 'already wrapped' "debian: enable twice is a no-op"
"$LP" --root "$LG_TMP/t" disable >/dev/null
lg_assert_eq "$(md5sum <"$P/common-session")" "$before" "debian: disable restores the original exactly"
lg_check "debian: backup consumed" test ! -e "$P/common-session.loginguard-orig"
# Only on an explicit flag: the package's file edited, and given back.
"$LP" --root "$LG_TMP/t" enable --edit-conffiles >/dev/null; rc=$?
lg_assert_eq "$rc" 0 "debian: enable --edit-conffiles succeeds"
lg_assert_match "$(cat "$P/runuser-l")" $'^-session\toptional\tpam_loginguard.so wrap=pam_systemd.so$' "debian: --edit-conffiles wraps runuser-l"
out=$("$LP" --root "$LG_TMP/t" disable)
lg_assert_match "$out" 'runuser-l: shipped by util-linux: not edited. To unwrap it' "debian: disable without the flag leaves it and says what to change"
lg_assert_match "$(cat "$P/runuser-l")" 'pam_loginguard' "debian: ... and runuser-l is still wrapped"
"$LP" --root "$LG_TMP/t" disable --edit-conffiles >/dev/null
lg_check "debian: disable --edit-conffiles restores every file exactly" diff -r "$LG_ROOT/tests/fixtures/pam-trees/debian12" "$LG_TMP/t"

# Options and a module given by path, edited after enable.
tree debian12
sed -i 's#pam_systemd.so #/lib/x86_64-linux-gnu/security/pam_systemd.so class=user#' "$P/common-session"
"$LP" --root "$LG_TMP/t" --options "deadline=3000 nonotify" enable >/dev/null
lg_assert_match "$(cat "$P/common-session")" 'pam_loginguard.so deadline=3000 nonotify wrap=/lib/x86_64-linux-gnu/security/pam_systemd.so class=user$' \
        "options go before wrap=, the path and the arguments after it"
echo "# local edit" >>"$P/common-session"
"$LP" --root "$LG_TMP/t" disable >/dev/null
lg_assert_match "$(cat "$P/common-session")" '^session	optional	/lib/x86_64-linux-gnu/security/pam_systemd.so class=user$' \
        "disable after a local edit unwraps the line"
lg_assert_match "$(tail -n 1 "$P/common-session")" '^# local edit$' "the local edit is kept"

# RHEL 9 without authselect: -session kept, both files.
tree rhel9-plain
"$LP" --root "$LG_TMP/t" enable >/dev/null; rc=$?
lg_assert_eq "$rc" 0 "rhel (plain): enable succeeds"
for f in system-auth password-auth; do
        lg_assert_match "$(cat "$P/$f")" '^-session    optional                                     pam_loginguard.so wrap=pam_systemd.so$' \
                "rhel (plain): $f wrapped with its '-session' control"
done
"$LP" --root "$LG_TMP/t" disable >/dev/null
lg_check "rhel (plain): disable restores both" diff -r "$LG_ROOT/tests/fixtures/pam-trees/rhel9-plain" "$LG_TMP/t"

# RHEL 9 with authselect: refused with what to do.
tree rhel9-authselect
out=$("$LP" --root "$LG_TMP/t" enable 2>&1); rc=$?
lg_assert_eq "$rc" 1 "rhel (authselect): enable refused"
lg_assert_match "$out" 'managed by authselect.*refusing' "rhel (authselect): says why"
lg_assert_match "$out" 'authselect create-profile' "rhel (authselect): says what to do"
lg_check "rhel (authselect): nothing changed" diff -r "$LG_ROOT/tests/fixtures/pam-trees/rhel9-authselect" "$LG_TMP/t"

# SUSE: common-session is a symlink to common-session-pc.
tree suse15
out=$("$LP" --root "$LG_TMP/t" status)
lg_assert_match "$out" 'common-session is a symlink to common-session-pc' "suse: status explains the symlink"
"$LP" --root "$LG_TMP/t" enable >/dev/null; rc=$?
lg_assert_eq "$rc" 0 "suse: enable succeeds"
lg_assert_match "$(cat "$P/common-session-pc")" '^session	optional	pam_loginguard.so wrap=pam_systemd.so	$' "suse: common-session-pc wrapped"
lg_check "suse: the symlink is kept" test -L "$P/common-session"

# Unknown layout: refused, nothing changed.
tree unknown
out=$("$LP" --root "$LG_TMP/t" enable 2>&1); rc=$?
lg_assert_eq "$rc" 1 "unknown layout: refused"
lg_assert_match "$out" 'unknown layout, refusing' "unknown layout: says so"
lg_assert_match "$out" 'line 2: account optional pam_systemd.so' "unknown layout: names the line"
lg_check "unknown layout: nothing changed" diff -r "$LG_ROOT/tests/fixtures/pam-trees/unknown" "$LG_TMP/t"

# A stack libpam would refuse is not installed.
tree debian12
cat >"$LG_TMP/fakecheck" <<'SH'
#!/bin/sh
echo "libpam refuses it (test)" >&2
exit 1
SH
chmod +x "$LG_TMP/fakecheck"
before=$(md5sum <"$P/common-session")
out=$(LOGINGUARD_PAM_CHECK=$LG_TMP/fakecheck "$LP" --root "$LG_TMP/t" enable 2>&1); rc=$?
lg_assert_eq "$rc" 1 "a stack libpam refuses: enable fails"
lg_assert_eq "$(md5sum <"$P/common-session")" "$before" "a stack libpam refuses: file unchanged"
lg_check "the real check accepts the Debian tree" "$B/loginguard-pam-check" "$P" common-session sshd su
lg_done
