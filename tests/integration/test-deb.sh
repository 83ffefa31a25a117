#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# make deb builds libpam-loginguard and loginguard-guardd with
# dpkg-buildpackage; their contents are what they should be, the unit is
# enabled by the maintainer scripts, removal gives pam_systemd back, the
# source package rebuilds with dpkg-source, and lintian --pedantic is clean.
. "$(dirname "$0")/../lib/harness.sh"
lg_setup
command -v dpkg-buildpackage >/dev/null || lg_skip "dpkg-buildpackage missing (package dpkg-dev)"
dpkg -s debhelper >/dev/null 2>&1 || lg_skip "debhelper missing"
git -C "$LG_ROOT" rev-parse HEAD >/dev/null 2>&1 || lg_skip "not a git checkout (make deb packs the tracked files)"
# Build from a copy of the tracked files, so the tree under test is not touched.
W=$LG_TMP/src
mkdir -p "$W"
git -C "$LG_ROOT" ls-files -z | (cd "$LG_ROOT" && xargs -0 cp --parents -t "$W")
(cd "$W" && git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm t) >/dev/null 2>&1
make -C "$W" deb >"$LG_TMP/deb.log" 2>&1
lg_assert_eq "$?" 0 "make deb succeeds"
pam=$(ls "$W"/build-deb/libpam-loginguard_*.deb 2>/dev/null)
gd=$(ls "$W"/build-deb/loginguard-guardd_*.deb 2>/dev/null)
lg_check "libpam-loginguard built" test -f "$pam"
lg_check "loginguard-guardd built" test -f "$gd"
pc=$(dpkg-deb -c "$pam" | awk '{print $6}')
gc=$(dpkg-deb -c "$gd" | awk '{print $6}')
lg_assert_match "$pc" '^\./usr/lib/[a-z0-9_-]+/security/pam_loginguard\.so$' "module in the multiarch PAM directory"
lg_assert_match "$pc" '^\./usr/sbin/loginguard-pam$' "loginguard-pam in libpam-loginguard"
lg_assert_match "$pc" '^\./usr/share/pam-configs/loginguard$' "pam-auth-update profile shipped"
lg_assert_match "$gc" '^\./usr/sbin/guardd$' "guardd in loginguard-guardd"
lg_assert_match "$gc" '^\./lib/systemd/system/guardd\.service$' "unit shipped"
lg_assert_match "$gc" '^\./etc/loginguard/loginguard\.conf$' "config shipped"
lg_assert_match "$(dpkg-deb -I "$gd" conffiles 2>/dev/null)" '^/etc/loginguard/loginguard\.conf$' "config is a conffile"
# The alerting rules' runbook_url points at the runbook the package installs.
mkdir -p "$LG_TMP/gx"
dpkg-deb -x "$gd" "$LG_TMP/gx"
urls=$(grep -o 'runbook_url: "file://[^"#]*' "$LG_TMP/gx/usr/share/loginguard/prometheus/loginguard.rules.yml" | sed 's|^runbook_url: "file://||' | sort -u)
lg_assert_eq "$urls" /usr/share/doc/loginguard-guardd/runbook.md "the rules' runbook_url: the package's runbook"
lg_check "that runbook is in the package, uncompressed" test -f "$LG_TMP/gx$urls"
mkdir -p "$LG_TMP/ctl"
dpkg-deb -e "$gd" "$LG_TMP/ctl"
lg_assert_match "$(cat "$LG_TMP/ctl/postinst")" 'deb-systemd-helper .*guardd\.service' "postinst enables guardd.service"
lg_check "source package built (native, no revision)" test -f "$W/build-deb/loginguard_$(sed -n 's/^VERSION := //p' "$LG_ROOT/Makefile").dsc"
mkdir -p "$LG_TMP/x"
(cd "$LG_TMP/x" && dpkg-source -x "$W"/build-deb/loginguard_*.dsc src >/dev/null 2>&1 && dpkg-source -b src >"$LG_TMP/srcb.log" 2>&1)
lg_assert_eq "$?" 0 "dpkg-source -x then -b rebuilds the source package"
mkdir -p "$LG_TMP/pctl"
dpkg-deb -e "$pam" "$LG_TMP/pctl"
lg_assert_match "$(cat "$LG_TMP/pctl/prerm")" 'pam-auth-update --package --remove loginguard --enable systemd' \
        "prerm re-enables pam_systemd while the module is still there"
lg_check "no postrm edits PAM after the module is gone" sh -c "! grep -qs pam-auth-update '$LG_TMP/pctl/postrm'"
command -v lintian >/dev/null || lg_skip "lintian missing (scripts/deps.sh installs it)"
# Errors, warnings and pedantic tags, on the source and both binaries.
tags=$(lintian --pedantic "$W"/build-deb/*.changes 2>&1 | grep -E '^[EWP]:')
lg_assert_eq "$tags" "" "lintian --pedantic: no error, warning or pedantic tag"
lg_done
