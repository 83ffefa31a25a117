#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Debian packages on a real Debian 12 root (the real-stack bed): dpkg
# -i, enable, remove or purge, with the stack checked by real ssh logins
# after each step:
#   - loginguard-pam enable hands common-session to pam-auth-update
#     (loginguard selected, systemd deselected) and wraps other files
#     directly; pam-auth-update --package still works afterwards;
#   - loginguard-pam disable gives pam_systemd back;
#   - dpkg -r after loginguard-pam enable, and dpkg --purge after
#     pam-auth-update --enable loginguard, both leave common-session with
#     pam_systemd and no pam_loginguard, every hand-wrapped file restored,
#     and logins registered with logind.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
command -v dpkg-buildpackage >/dev/null || lg_skip "dpkg-buildpackage missing (package dpkg-dev)"
git -C "$LG_ROOT" rev-parse HEAD >/dev/null 2>&1 || lg_skip "not a git checkout (make deb packs the tracked files)"
. "$LG_ROOT/tests/lib/realstack.sh"

W=$LG_TMP/src
mkdir -p "$W"
git -C "$LG_ROOT" ls-files -z | (cd "$LG_ROOT" && xargs -0 cp --parents -t "$W")
(cd "$W" && git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm t) >/dev/null 2>&1
make -C "$W" deb >"$LG_TMP/deb.log" 2>&1
rc=$?
lg_assert_eq "$rc" 0 "make deb succeeds"
[ "$rc" = 0 ] || { tail -n 20 "$LG_TMP/deb.log" | sed 's/^/#   /'; lg_done; }

rs_boot bookworm
cp "$W"/build-deb/libpam-loginguard_*.deb "$W"/build-deb/loginguard-guardd_*.deb "$(rs_path /root)/"
CS=$(rs_path /etc/pam.d/common-session)
SHOW='echo "ID=${XDG_SESSION_ID:-} FB=${LOGINGUARD_FALLBACK:-}"'

install_debs() {
        local rc
        rs_exec sh -c 'dpkg -i /root/libpam-loginguard_*.deb /root/loginguard-guardd_*.deb' >"$LG_TMP/dpkg.log" 2>&1
        rc=$?
        lg_assert_eq "$rc" 0 "$1: dpkg -i both packages"
        [ "$rc" = 0 ] || sed 's/^/#   /' "$LG_TMP/dpkg.log"
}
login_registered() { # WHAT
        rs_ssh lguser "$SHOW"
        lg_assert_match "$OUT" '^ID=[c0-9]+ FB=$' "$1: an ssh login is registered with logind"
}
stock_stack() { # WHAT: common-session as libpam-systemd left it
        lg_assert_match "$(cat "$CS")" '^session[[:space:]]+optional[[:space:]]+pam_systemd\.so' "$1: common-session has pam_systemd"
        lg_check "$1: no pam_loginguard line left in /etc/pam.d" sh -c "! grep -rqs pam_loginguard '$(rs_path /etc/pam.d)' --exclude='*.loginguard-orig'"
}

# A service file no tool manages, for the direct editor.
printf 'auth required pam_permit.so\naccount required pam_permit.so\nsession optional pam_systemd.so class=user\n' \
        >"$(rs_path /etc/pam.d/lgtest)"
orig_lgtest=$(md5sum <"$(rs_path /etc/pam.d/lgtest)")

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
lg_assert_match "$(cat "$(rs_path /etc/pam.d/lgtest)")" 'pam_loginguard\.so wrap=pam_systemd\.so class=user' "enable: a file no tool manages is wrapped directly"
out=$(rs_exec pam-auth-update --package 2>&1)
lg_assert_eq "$out" "" "enable: pam-auth-update --package still works (no 'Local modifications')"
login_registered "enabled"
lg_assert_match "$(rs_exec loginguard-pam status)" 'wrapped +/etc/pam.d/common-session' "enable: status says wrapped"
rs_exec loginguard-pam disable >/dev/null 2>&1
stock_stack "loginguard-pam disable"
lg_assert_eq "$(md5sum <"$(rs_path /etc/pam.d/lgtest)")" "$orig_lgtest" "disable: the hand-wrapped file restored exactly"
login_registered "disabled"

# --- 2. enabled with loginguard-pam, then dpkg -r
rs_exec loginguard-pam enable >/dev/null 2>&1
rs_exec dpkg -r libpam-loginguard >"$LG_TMP/dpkg-r.log" 2>&1
lg_assert_eq "$?" 0 "dpkg -r libpam-loginguard"
lg_check "dpkg -r: the module is gone" test ! -e "$(rs_path /usr/lib/x86_64-linux-gnu/security/pam_loginguard.so)"
stock_stack "dpkg -r after loginguard-pam enable"
lg_assert_eq "$(md5sum <"$(rs_path /etc/pam.d/lgtest)")" "$orig_lgtest" "dpkg -r: the hand-wrapped file restored"
login_registered "dpkg -r"

# --- 3. enabled with pam-auth-update, then dpkg --purge
install_debs "reinstall"
rs_exec pam-auth-update --disable systemd --enable loginguard >/dev/null 2>&1
lg_assert_match "$(cat "$CS")" 'pam_loginguard\.so wrap=pam_systemd\.so' "pam-auth-update --enable loginguard selects the profile"
login_registered "enabled by pam-auth-update"
rs_exec dpkg --purge libpam-loginguard loginguard-guardd >"$LG_TMP/dpkg-p.log" 2>&1
lg_assert_eq "$?" 0 "dpkg --purge both packages"
stock_stack "dpkg --purge after pam-auth-update --enable loginguard"
login_registered "purged"
rs_settle 3
rs_assert_clean "packages"
lg_done
