#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The packages' autopkgtest (debian/tests) on the real-stack bed, for
# bookworm and trixie: the same debian/ builds the packages in a chroot of
# each suite from `make dist`'s tarball (unit directory from that suite's
# systemd.pc, unit tests run by dh_auto_test), then the suite boots with
# systemd as PID 1 and every test of debian/tests/control runs as
# autopkgtest would run it there: its Depends installed (@ = the packages
# just built), as root, with AUTOPKGTEST_TMP, failing on a non-zero exit
# or, without allow-stderr, on anything written to stderr.
#
# Not the autopkgtest program itself: its qemu and lxc runners need what
# this bed does not have (KVM, lxc), and its null runner would change the
# host. The runner here is the few lines below, in the booted container.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
command -v dpkg-buildpackage >/dev/null || lg_skip "dpkg-buildpackage missing (package dpkg-dev)"
git -C "$LG_ROOT" rev-parse HEAD >/dev/null 2>&1 || lg_skip "not a git checkout (make dist packs HEAD)"
. "$LG_ROOT/tests/lib/realstack.sh"

W=$LG_TMP/src
mkdir -p "$W"
git -C "$LG_ROOT" ls-files -z | (cd "$LG_ROOT" && xargs -0 cp --parents -t "$W")
(cd "$W" && git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm t) >/dev/null 2>&1
make -C "$W" dist >"$LG_TMP/dist.log" 2>&1 || { cat "$LG_TMP/dist.log"; lg_fail "make dist"; lg_done; }
V=$(sed -n 's/^VERSION := //p' "$W/Makefile")
TARBALL=$W/build-dist/loginguard-$V.tar.gz

# control_field TEST FIELD: a field of the stanza of Tests: TEST.
control_field() {
        awk -v t="$1" -v f="$2" 'BEGIN { RS = ""; FS = "\n" }
                { found = 0; val = ""
                  for (i = 1; i <= NF; i++) {
                        if ($i ~ /^#/) continue
                        if ($i ~ "^Tests:[ \t]*" t "$") found = 1
                        if ($i ~ "^" f ":") { val = $i; sub("^" f ":[ \t]*", "", val) }
                  }
                  if (found) { print val; exit } }' "$W/debian/tests/control"
}
TESTS=$(sed -n 's/^Tests:[[:space:]]*//p' "$W/debian/tests/control")
lg_assert_match "$TESTS" '^login$' "debian/tests/control lists the login test"

for suite in bookworm trixie; do
        out=$LG_TMP/debs-$suite
        rs_build_debs "$suite" "$TARBALL" "$W/debian" "$out"
        rc=$?
        lg_assert_eq "$rc" 0 "$suite: the same debian/ builds the packages in a $suite root"
        [ "$rc" = 0 ] || { tail -n 20 "$out/build.log" | sed 's/^/#   /'; continue; }
        lg_assert_match "$(cat "$out/build.log")" 'UNIT +build/tests/test-watch' "$suite: dh_auto_test ran the unit tests"
        unit=$(dpkg-deb -c "$out"/loginguard-guardd_*.deb | awk '{print $6}' | grep 'guardd\.service$')
        if [ "$suite" = bookworm ]; then want=./lib/systemd/system/guardd.service; else want=./usr/lib/systemd/system/guardd.service; fi
        lg_assert_eq "$unit" "$want" "$suite: the unit where $suite's systemd.pc puts units"

        rs_boot "$suite"
        mkdir -p "$(rs_path /root/debs)" "$(rs_path /root/tests)"
        cp "$out"/libpam-loginguard_*.deb "$out"/loginguard-guardd_*.deb "$(rs_path /root/debs)/"
        cp -a "$W/debian/tests/." "$(rs_path /root/tests)/"
        for t in $TESTS; do
                deps=$(control_field "$t" Depends | tr ',' '\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//; /^$/d; /^@$/d')
                missing=""
                for d in $deps; do
                        rs_exec dpkg-query -W -f='${Status}\n' "$d" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $d"
                done
                lg_assert_eq "$missing" "" "$suite/$t: the test's Depends are installed in the bed"
                rs_exec sh -c 'dpkg -i /root/debs/*.deb' >"$LG_TMP/$suite-dpkg.log" 2>&1
                lg_assert_eq "$?" 0 "$suite/$t: @ (the packages built) installed"
                restrictions=$(control_field "$t" Restrictions)
                rs_exec sh -c "d=\$(mktemp -d); AUTOPKGTEST_TMP=\$d /root/tests/$t" \
                        >"$LG_TMP/$suite-$t.out" 2>"$LG_TMP/$suite-$t.err"
                rc=$?
                sed "s/^/#   $suite\/$t: /" "$LG_TMP/$suite-$t.out"
                lg_assert_eq "$rc" 0 "$suite/$t: exits 0"
                if ! grep -q allow-stderr <<<"$restrictions"; then
                        lg_assert_eq "$(cat "$LG_TMP/$suite-$t.err")" "" "$suite/$t: nothing on stderr (no allow-stderr)"
                fi
                plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$LG_TMP/$suite-$t.out")
                lg_assert_eq "$(grep -c '^ok ' "$LG_TMP/$suite-$t.out")" "${plan:-none}" "$suite/$t: ran to its end, every step ok"
        done
        rs_stop
done
lg_done
