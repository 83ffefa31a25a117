#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# make dist makes the same tarball twice; make deb builds a 3.0 (quilt)
# source package from it and libpam-loginguard (the module alone,
# Multi-Arch: same) and loginguard-guardd with dpkg-buildpackage, running
# the unit tests; their contents are what they should be, the maintainer
# scripts act on remove only and through pam-auth-update only, the source
# package rebuilds with dpkg-source, and lintian -EvIL +pedantic is clean.
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
# make dist: the same commit gives the same bytes, without debian/.
make -C "$W" dist >"$LG_TMP/dist.log" 2>&1
lg_assert_eq "$?" 0 "make dist succeeds"
V=$(sed -n 's/^VERSION := //p' "$LG_ROOT/Makefile")
tarball=$W/build-dist/loginguard-$V.tar.gz
sum1=$(sha256sum <"$tarball")
sleep 1.1
rm -rf "$W/build-dist"
make -C "$W" dist >>"$LG_TMP/dist.log" 2>&1
lg_assert_eq "$(sha256sum <"$tarball")" "$sum1" "make dist is reproducible (same sha256 a second later)"
lg_assert_eq "$(tar -tzf "$tarball" | cut -d/ -f1 | sort -u)" "loginguard-$V" "the tarball unpacks into loginguard-$V/"
lg_check "the tarball has no debian/ (3.0 (quilt) adds it)" sh -c "! tar -tzf '$tarball' | grep -q '^loginguard-$V/debian/'"
lg_check "the tarball has the sources" sh -c "tar -tzf '$tarball' | grep -qx 'loginguard-$V/pam_module/pam_loginguard.c'"

make -C "$W" deb >"$LG_TMP/deb.log" 2>&1
rc=$?
lg_assert_eq "$rc" 0 "make deb succeeds"
[ "$rc" = 0 ] || { tail -n 20 "$LG_TMP/deb.log" | sed 's/^/#   /'; lg_done; }
pam=$(ls "$W"/build-deb/libpam-loginguard_*.deb 2>/dev/null)
gd=$(ls "$W"/build-deb/loginguard-guardd_*.deb 2>/dev/null)
lg_check "libpam-loginguard built" test -f "$pam"
lg_check "loginguard-guardd built" test -f "$gd"
pc=$(dpkg-deb -c "$pam" | awk '{print $6}' | grep -v '/$')
gc=$(dpkg-deb -c "$gd" | awk '{print $6}')
# libpam-loginguard: the module, its profile and page, like libpam-systemd.
lg_assert_eq "$(grep -Ev '^\./usr/share/(doc|lintian)/' <<<"$pc" | tr '\n' ' ')" \
        "./usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/security/pam_loginguard.so ./usr/share/man/man8/pam_loginguard.8.gz ./usr/share/pam-configs/loginguard " \
        "libpam-loginguard holds the module, its manual page and the pam-auth-update profile only"
lg_assert_eq "$(dpkg-deb -f "$pam" Multi-Arch)" "same" "libpam-loginguard is Multi-Arch: same"
lg_assert_match "$gc" '^\./usr/sbin/loginguard-pam$' "loginguard-pam in loginguard-guardd"
lg_assert_match "$gc" '^\./usr/libexec/loginguard/loginguard-pam-check$' "its helper in /usr/libexec"
lg_assert_match "$gc" '^\./usr/sbin/guardd$' "guardd in loginguard-guardd"
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
if grep -qxF ".$unitdir/guardd.service" <<<"$gc"; then lg_ok "unit shipped where systemd.pc says ($unitdir)"; else lg_fail "unit not in $unitdir: $(grep guardd.service <<<"$gc")"; fi
lg_assert_match "$gc" '^\./etc/loginguard/loginguard\.conf$' "config shipped"
lg_assert_match "$gc" '^\./usr/share/loginguard/grafana/loginguard-dashboard\.json$' "Grafana dashboard shipped"
lg_assert_match "$(dpkg-deb -I "$gd" conffiles 2>/dev/null)" '^/etc/loginguard/loginguard\.conf$' "config is a conffile"
lg_assert_eq "$(dpkg-deb -f "$gd" Breaks)/$(dpkg-deb -f "$gd" Replaces)" \
        "libpam-loginguard (<< 0.3.0-1~)/libpam-loginguard (<< 0.3.0-1~)" "loginguard-guardd takes the moved files over from libpam-loginguard 0.2.x"
lg_assert_match "$(cat "$LG_TMP/deb.log")" 'UNIT +build/tests/test-watch' "dh_auto_test ran the unit tests"
# The alerting rules' runbook_url points at the runbook the package installs.
mkdir -p "$LG_TMP/gx"
dpkg-deb -x "$gd" "$LG_TMP/gx"
urls=$(grep -o 'runbook_url: "file://[^"#]*' "$LG_TMP/gx/usr/share/loginguard/prometheus/loginguard.rules.yml" | sed 's|^runbook_url: "file://||' | sort -u)
lg_assert_eq "$urls" /usr/share/doc/loginguard-guardd/runbook.md "the rules' runbook_url: the package's runbook"
lg_check "that runbook is in the package, uncompressed" test -f "$LG_TMP/gx$urls"
mkdir -p "$LG_TMP/ctl"
dpkg-deb -e "$gd" "$LG_TMP/ctl"
lg_assert_match "$(cat "$LG_TMP/ctl/postinst")" 'deb-systemd-helper .*guardd\.service' "postinst enables guardd.service"
lg_check "source package built: 3.0 (quilt), Debian revision" test -f "$W/build-deb/loginguard_$V-1.dsc"
lg_assert_match "$(cat "$W/build-deb/loginguard_$V-1.dsc")" '^Format: 3\.0 \(quilt\)$' "the .dsc says 3.0 (quilt)"
lg_assert_eq "$(sha256sum <"$W/build-deb/loginguard_$V.orig.tar.gz")" "$sum1" "the .orig tarball is make dist's"
mkdir -p "$LG_TMP/x"
(cd "$LG_TMP/x" && dpkg-source -x "$W"/build-deb/loginguard_*.dsc src >/dev/null 2>&1 && dpkg-source -b src >"$LG_TMP/srcb.log" 2>&1)
lg_assert_eq "$?" 0 "dpkg-source -x then -b rebuilds the source package"
mkdir -p "$LG_TMP/pctl"
dpkg-deb -e "$pam" "$LG_TMP/pctl"
prerm=$(cat "$LG_TMP/pctl/prerm")
lg_assert_match "$prerm" '^if \[ "\$1" = "remove" \]; then$' "prerm acts on remove"
lg_check "prerm's code names neither deconfigure nor upgrade" sh -c "! grep -v '^[[:space:]]*#' '$LG_TMP/pctl/prerm' | grep -q 'deconfigure\\|upgrade'"
lg_check "no maintainer script runs loginguard-pam (it edits files by hand)" \
        sh -c "! grep -Eqs '^[[:space:]]*(loginguard-pam|.*command -v loginguard-pam)' '$LG_TMP/pctl/prerm' '$LG_TMP/pctl/postinst' '$LG_TMP/pctl/postrm'"
lg_check "no postrm edits PAM after the module is gone" sh -c "! grep -qs pam-auth-update '$LG_TMP/pctl/postrm'"
command -v lintian >/dev/null || lg_skip "lintian missing (scripts/deps.sh installs it)"
# Every tag lintian has, experimental and pedantic ones too, on the source
# and both binaries; each override in debian/ says why.
tags=$(lintian -EvIL +pedantic "$W"/build-deb/*.changes 2>&1 | grep -E '^[EWIPX]:')
lg_assert_eq "$tags" "" "lintian -EvIL +pedantic: no tag"
lg_done
