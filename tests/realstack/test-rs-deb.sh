#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Debian packages on a real Debian 12 root (the real-stack bed), with
# the stack checked by real ssh logins after each step:
#   0. upgrade from 0.2.0 (the last native release, built here from its
#      commit): the files that moved to loginguard-guardd go over cleanly
#      (Breaks/Replaces), the selected profile stays selected;
#   1. loginguard-pam enable hands common-session to pam-auth-update and
#      wraps a file no package ships; util-linux's runuser-l is left alone
#      with the change to make printed; disable gives everything back;
#   2. prerm deconfigure then postinst configure (what a dist-upgrade can
#      do) leave loginguard selected;
#   3. dpkg -r gives pam_systemd back when it was selected before, names
#      the hand-wrapped file it does not touch, and loginguard-pam disable
#      (still installed) restores that file;
#   4. an admin who had the systemd profile off when the package was
#      installed, then selected loginguard, gets it off after removal;
#   5. dpkg --purge leaves the stock stack and no /var/lib/loginguard,
#      /var/spool/loginguard or /run/loginguard.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
command -v dpkg-buildpackage >/dev/null || lg_skip "dpkg-buildpackage missing (package dpkg-dev)"
git -C "$LG_ROOT" rev-parse HEAD >/dev/null 2>&1 || lg_skip "not a git checkout (make deb packs the tracked files)"
. "$LG_ROOT/tests/lib/realstack.sh"
PREV=$RS_PREV_RELEASE

rs_make_debs "$LG_TMP/src" ""
rc=$?
lg_assert_eq "$rc" 0 "make deb succeeds"
[ "$rc" = 0 ] || { tail -n 20 "$LG_TMP/src.log" | sed 's/^/#   /'; lg_done; }
rs_make_debs "$LG_TMP/old" "$PREV"
lg_assert_eq "$?" 0 "make deb of 0.2.0 ($PREV) succeeds"

rs_boot bookworm
mkdir -p "$(rs_path /root/new)" "$(rs_path /root/old)"
cp "$LG_TMP"/src/build-deb/libpam-loginguard_*.deb "$LG_TMP"/src/build-deb/loginguard-guardd_*.deb "$(rs_path /root/new)/"
cp "$LG_TMP"/old/build-deb/libpam-loginguard_*.deb "$LG_TMP"/old/build-deb/loginguard-guardd_*.deb "$(rs_path /root/old)/"
CS=$(rs_path /etc/pam.d/common-session)
SHOW='echo "ID=${XDG_SESSION_ID:-} FB=${LOGINGUARD_FALLBACK:-}"'
PRERM=/var/lib/dpkg/info/libpam-loginguard:$(dpkg --print-architecture).prerm
POSTINST=${PRERM%.prerm}.postinst

install_debs() { # WHAT [old|new]
        local rc
        rs_exec sh -c "dpkg -i /root/${2:-new}/libpam-loginguard_*.deb /root/${2:-new}/loginguard-guardd_*.deb" >"$LG_TMP/dpkg.log" 2>&1
        rc=$?
        lg_assert_eq "$rc" 0 "$1: dpkg -i both packages"
        [ "$rc" = 0 ] || sed 's/^/#   /' "$LG_TMP/dpkg.log"
}
login_registered() { # WHAT
        rs_ssh lguser "$SHOW"
        lg_assert_match "$OUT" '^ID=[c0-9]+ FB=$' "$1: an ssh login is registered with logind"
}
has_systemd_line() { grep -Eq '^session[[:space:]]+optional[[:space:]]+pam_systemd\.so' "$CS"; }
has_loginguard_line() { grep -q 'pam_loginguard' "$CS"; }
stock_stack() { # WHAT: common-session as libpam-systemd left it
        lg_assert_match "$(cat "$CS")" '^session[[:space:]]+optional[[:space:]]+pam_systemd\.so' "$1: common-session has pam_systemd"
        lg_check "$1: common-session has no pam_loginguard line" sh -c "! grep -qs pam_loginguard '$CS'"
}
md5() { md5sum <"$(rs_path "$1")"; }

# A service file no package ships, for the direct editor.
printf 'auth required pam_permit.so\naccount required pam_permit.so\nsession optional pam_systemd.so class=user\n' \
        >"$(rs_path /etc/pam.d/lgtest)"
orig_lgtest=$(md5 /etc/pam.d/lgtest)
orig_runuser=$(md5 /etc/pam.d/runuser-l)
lg_assert_match "$(cat "$(rs_path /etc/pam.d/runuser-l)")" 'pam_systemd' "util-linux's runuser-l has a pam_systemd line (the foreign conffile)"

# --- 0. upgrade from 0.2.0 with loginguard selected
install_debs "0.2.0" old
rs_exec pam-auth-update --disable systemd --enable loginguard >/dev/null 2>&1
lg_check "0.2.0: loginguard selected" has_loginguard_line
install_debs "upgrade to the new version" new
lg_check "upgrade: no file conflict between the split packages" sh -c "! grep -q 'trying to overwrite' '$LG_TMP/dpkg.log'"
lg_assert_match "$(rs_exec dpkg-query -S /usr/sbin/loginguard-pam)" '^loginguard-guardd: ' "upgrade: loginguard-pam now belongs to loginguard-guardd"
lg_check "upgrade: loginguard still selected" has_loginguard_line
lg_check "upgrade: the helper's old place is gone" test ! -e "$(rs_path /usr/lib/loginguard/loginguard-pam-check)"
login_registered "upgraded"
rs_exec dpkg --purge libpam-loginguard loginguard-guardd >"$LG_TMP/dpkg-p0.log" 2>&1
lg_assert_eq "$?" 0 "upgrade: dpkg --purge both"
stock_stack "purged after the upgrade"

# --- 1. install, loginguard-pam enable / disable
install_debs "install"
lg_assert_match "$(rs_exec loginguard-pam --version)" '^loginguard-pam \(loginguard\) [0-9.]+$' "loginguard-pam --version"
lg_assert_match "$(rs_exec guardd --version)" '^guardd \(loginguard\) [0-9.]+$' "guardd --version"
stock_stack "installed, not enabled"
out=$(rs_exec loginguard-pam enable 2>&1)
lg_log "enable: $(tr '\n' ';' <<<"$out")"
lg_assert_match "$out" 'pam-auth-update --disable systemd --enable loginguard: done' "enable: common-session handed to pam-auth-update"
lg_assert_match "$(cat "$CS")" '^session[[:space:]]+optional[[:space:]]+pam_loginguard\.so wrap=pam_systemd\.so' "enable: common-session has the loginguard profile"
lg_check "enable: common-session has no bare pam_systemd line" sh -c "! grep -Eq '^session[[:space:]]+optional[[:space:]]+pam_systemd' '$CS'"
lg_check "enable: common-session was not edited by hand (no backup)" test ! -e "$CS.loginguard-orig"
lg_assert_match "$(cat "$(rs_path /etc/pam.d/lgtest)")" 'pam_loginguard\.so wrap=pam_systemd\.so class=user' "enable: a file no package ships is wrapped directly"
lg_assert_eq "$(md5 /etc/pam.d/runuser-l)" "$orig_runuser" "enable: util-linux's runuser-l is not edited"
lg_assert_match "$out" '/etc/pam.d/runuser-l: shipped by util-linux: not edited' "enable: says runuser-l is left to the admin, and why"
lg_assert_match "$out" 'to: -session[[:space:]]+optional[[:space:]]+pam_loginguard\.so wrap=pam_systemd\.so' "enable: ... with the line to write"
lg_assert_eq "$(cat "$(rs_path /var/lib/loginguard/systemd-profile)")" enabled "enable: the systemd profile's earlier state is remembered"
out=$(rs_exec pam-auth-update --package 2>&1)
lg_assert_eq "$out" "" "enable: pam-auth-update --package still works (no 'Local modifications')"
login_registered "enabled"
lg_assert_match "$(rs_exec loginguard-pam status)" 'wrapped +/etc/pam.d/common-session' "enable: status says wrapped"
rs_exec loginguard-pam disable >/dev/null 2>&1
stock_stack "loginguard-pam disable"
lg_assert_eq "$(md5 /etc/pam.d/lgtest)" "$orig_lgtest" "disable: the hand-wrapped file restored exactly"
login_registered "disabled"

# --- 2. deconfigure then configure: still selected
rs_exec loginguard-pam enable >/dev/null 2>&1
rs_exec "$PRERM" deconfigure >"$LG_TMP/deconf.log" 2>&1
lg_assert_eq "$?" 0 "prerm deconfigure succeeds"
rs_exec "$POSTINST" configure 0.3.0-1 >>"$LG_TMP/deconf.log" 2>&1
lg_assert_eq "$?" 0 "postinst configure succeeds"
lg_check "deconfigure + configure: loginguard still selected" has_loginguard_line
lg_check "deconfigure + configure: no bare pam_systemd line came back" sh -c "! grep -Eq '^session[[:space:]]+optional[[:space:]]+pam_systemd' '$CS'"

# --- 3. enabled (systemd was selected before), then dpkg -r
rs_exec dpkg -r libpam-loginguard >"$LG_TMP/dpkg-r.log" 2>&1
lg_assert_eq "$?" 0 "dpkg -r libpam-loginguard"
lg_check "dpkg -r: the module is gone" test ! -e "$(rs_path /usr/lib/x86_64-linux-gnu/security/pam_loginguard.so)"
stock_stack "dpkg -r after loginguard-pam enable"
lg_assert_match "$(cat "$LG_TMP/dpkg-r.log")" 'still name pam_loginguard.so' "dpkg -r: warns about files wrapped by hand"
lg_assert_match "$(cat "$LG_TMP/dpkg-r.log")" '^  /etc/pam.d/lgtest$' "dpkg -r: ... naming them"
lg_check "dpkg -r: ... and leaves them (the admin's)" grep -q pam_loginguard "$(rs_path /etc/pam.d/lgtest)"
login_registered "dpkg -r"
rs_exec loginguard-pam disable >/dev/null 2>&1
lg_assert_eq "$(md5 /etc/pam.d/lgtest)" "$orig_lgtest" "loginguard-pam disable after dpkg -r restores the hand-wrapped file"

# --- 4. the admin had the systemd profile off: removal keeps it off
rs_exec pam-auth-update --disable systemd >/dev/null 2>&1
lg_check "admin: systemd profile off" sh -c "! grep -q pam_systemd '$CS'"
install_debs "reinstall"
lg_assert_eq "$(cat "$(rs_path /var/lib/loginguard/systemd-profile)")" disabled "admin: postinst remembers it off"
rs_exec pam-auth-update --enable loginguard >/dev/null 2>&1
lg_check "admin: loginguard selected" has_loginguard_line
rs_exec dpkg -r libpam-loginguard >"$LG_TMP/dpkg-r2.log" 2>&1
lg_assert_eq "$?" 0 "admin: dpkg -r libpam-loginguard"
lg_check "admin: after removal no pam_systemd (the admin's choice) and no pam_loginguard" \
        sh -c "! grep -q 'pam_systemd\\|pam_loginguard' '$CS'"
rs_exec pam-auth-update --enable systemd >/dev/null 2>&1
stock_stack "admin turned systemd back on"

# --- 5. enabled with pam-auth-update, guardd running, then dpkg --purge
install_debs "reinstall"
rs_exec pam-auth-update --enable loginguard >/dev/null 2>&1
lg_check "pam-auth-update --enable loginguard selects the profile" has_loginguard_line
login_registered "enabled by pam-auth-update"
rs_wait_status WATCHDOG guardd 30 || lg_fail "guardd.service runs and watches"
rs_exec dpkg --purge libpam-loginguard loginguard-guardd >"$LG_TMP/dpkg-p.log" 2>&1
lg_assert_eq "$?" 0 "dpkg --purge both packages"
stock_stack "dpkg --purge after pam-auth-update --enable loginguard"
for d in /var/lib/loginguard /var/spool/loginguard /run/loginguard /etc/loginguard; do
        lg_check "purge: $d is gone" test ! -e "$(rs_path "$d")"
done
login_registered "purged"
rm -f "$(rs_path /etc/pam.d/lgtest)"
rs_settle 3
rs_assert_clean "packages"
lg_done
