#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# make install / uninstall into a DESTDIR: every file in place with its
# mode, the shipped config accepted by the installed guardd, the unit
# verified by systemd-analyze, its exposure reported; uninstall removes
# everything but the (possibly edited) config.
. "$(dirname "$0")/../lib/harness.sh"
lg_setup
D=$LG_TMP/root
make -s -C "$LG_ROOT" BUILD="$BUILD" B="$B" install DESTDIR="$D" prefix=/usr securedir=/usr/lib/security >"$LG_TMP/install.log" 2>&1
lg_assert_eq "$?" 0 "make install DESTDIR=... succeeds"
expect() { # PATH MODE
        if [ -f "$D$1" ]; then lg_assert_eq "$(stat -c %a "$D$1")" "$2" "installed $1 mode $2"; else lg_fail "missing $1"; fi
}
expect /usr/lib/security/pam_loginguard.so 644
expect /usr/sbin/guardd 755
expect /usr/sbin/loginguard-pam 755
expect /usr/libexec/loginguard/loginguard-pam-check 755
lg_assert_match "$(cat "$D/usr/sbin/loginguard-pam")" '^CHECK=\$\{LOGINGUARD_PAM_CHECK:-/usr/libexec/loginguard/loginguard-pam-check\}$' \
        "installed loginguard-pam checks stacks with the installed helper"
expect /etc/loginguard/loginguard.conf 644
expect /lib/systemd/system/guardd.service 644
expect /usr/lib/tmpfiles.d/loginguard.conf 644
expect /usr/share/pam-configs/loginguard 644
expect /usr/share/loginguard/prometheus/loginguard.rules.yml 644
expect /usr/share/loginguard/grafana/loginguard-dashboard.json 644
expect /usr/share/man/man8/pam_loginguard.8 644
expect /usr/share/man/man8/guardd.8 644
expect /usr/share/man/man8/loginguard-pam.8 644
expect /usr/share/man/man5/loginguard.conf.5 644
expect /usr/share/doc/loginguard/runbook.md 644
lg_assert_eq "$(grep -o 'runbook_url: "[^"#]*' "$D/usr/share/loginguard/prometheus/loginguard.rules.yml" | sort -u)" \
        'runbook_url: "file:///usr/share/doc/loginguard/runbook.md' "installed rules link the installed runbook"
make -s -C "$LG_ROOT" BUILD="$BUILD" B="$B" install DESTDIR="$LG_TMP/d2" prefix=/usr securedir=/usr/lib/security \
        RUNBOOK_URL=https://runbooks.example/loginguard.md >>"$LG_TMP/install.log" 2>&1
lg_assert_eq "$(grep -o 'runbook_url: "[^"#]*' "$LG_TMP/d2/usr/share/loginguard/prometheus/loginguard.rules.yml" | sort -u)" \
        'runbook_url: "https://runbooks.example/loginguard.md' "RUNBOOK_URL= sets an https base"
lg_assert_eq "$("$D/usr/sbin/guardd" check-config --config "$D/etc/loginguard/loginguard.conf")" \
        "$D/etc/loginguard/loginguard.conf: ok" "installed guardd accepts the installed config"
lg_assert_match "$(cat "$D/usr/lib/tmpfiles.d/loginguard.conf")" '^d /run/loginguard 0755 root root -$' "tmpfiles: /run/loginguard 0755 root"
nm -D --defined-only "$D/usr/lib/security/pam_loginguard.so" | awk '{print $3}' | sort >"$LG_TMP/syms"
lg_assert_eq "$(tr '\n' ' ' <"$LG_TMP/syms")" "pam_sm_acct_mgmt pam_sm_authenticate pam_sm_chauthtok pam_sm_close_session pam_sm_open_session pam_sm_setcred " \
        "the module exports exactly the six pam_sm_* entry points"
# Every page of the module's writable segment is a page fault in every
# login's process (10-15 us each on a VM with a paravirtualised MMU,
# docs/BENCHMARKS.md): the relocated part and one page of data and bss.
# ASan pads every global with a redzone, so the sanitizer build's layout
# says nothing about the shipped one; make check's first pass tests that.
if [ -z "${SANITIZE:-}" ]; then
        read -r rw_start rw_size < <(readelf -lW "$D/usr/lib/security/pam_loginguard.so" | awk '$1 == "LOAD" && $7 == "RW" { print $3, $6 }')
        rw_pages=$((((rw_start + rw_size - 1) >> 12) - (rw_start >> 12) + 1))
        lg_assert_eq "$rw_pages" 2 "the module's writable segment spans two pages (relro, then data and bss)"
else
        echo "# writable-segment layout: checked in the unsanitized build only (SANITIZE=$SANITIZE pads globals)"
fi

if command -v systemd-analyze >/dev/null; then
        # The unit's dependencies and the commands it runs (kill(1) for
        # ExecReload=, systemd-tmpfiles for ExecStartPre=) as the host has
        # them: verify looks them up under --root.
        mkdir -p "$D/usr/bin"
        cp -n /lib/systemd/system/*.target /lib/systemd/system/*.slice "$D/lib/systemd/system/" 2>/dev/null
        cp "$(type -P kill)" "$(type -P systemd-tmpfiles)" "$D/usr/bin/"
        out=$(systemd-analyze verify --root="$D" --man=no guardd.service 2>&1)
        lg_assert_eq "$out" "" "systemd-analyze verify: guardd.service clean"
        exposure=$(systemd-analyze security --offline=true --root="$D" guardd.service 2>&1 | sed -n 's/.*Overall exposure level for guardd.service: \([0-9.]*\).*/\1/p')
        lg_log "systemd-analyze security exposure: $exposure"
        # 2.2: root with CAP_SYS_PTRACE, CAP_KILL, and for the drain (on by
        # default) pidfd_getfd and CAP_SETUID/CAP_SETGID; PrivateDevices=no
        # so that guardd sees the host's /dev/log (docs/operations.md).
        lg_check "exposure <= 2.2 (got $exposure)" awk -v e="$exposure" 'BEGIN {exit !(e != "" && e <= 2.2)}'
fi

# docs/operations.md lists the unit's [Service] settings as shipped, and
# names each capability.
unit_settings=$(sed -n '/^\[Service\]/,/^\[/p' "$LG_ROOT/conf/guardd.service" | grep -v '^#' | grep '=')
doc_settings=$(sed -n '/^## The service unit/,/^## /p' "$LG_ROOT/docs/operations.md" | sed -n 's/^    \([A-Z][A-Za-z]*=.*\)$/\1/p')
lg_assert_eq "$(diff <(echo "$doc_settings") <(echo "$unit_settings"))" "" "docs/operations.md lists the unit's $(wc -l <<<"$unit_settings") settings as shipped"
for cap in $(sed -n 's/^CapabilityBoundingSet=//p' "$LG_ROOT/conf/guardd.service"); do
        lg_check "docs/operations.md says why guardd keeps $cap" grep -q "\`$cap\`" "$LG_ROOT/docs/operations.md"
done
lg_assert_match "$(sed -n '/^## The service unit/,/^## /p' "$LG_ROOT/docs/operations.md")" \
        "exposure: \\*\\*$exposure\\*\\*" "docs/operations.md gives the exposure systemd-analyze reports ($exposure)"

rm -f "$D/usr/bin/kill" "$D/usr/bin/systemd-tmpfiles" "$D"/lib/systemd/system/*.target "$D"/lib/systemd/system/*.slice
make -s -C "$LG_ROOT" BUILD="$BUILD" uninstall DESTDIR="$D" prefix=/usr securedir=/usr/lib/security >>"$LG_TMP/install.log" 2>&1
lg_assert_eq "$(cd "$D" && find . -type f | sort | tr '\n' ' ')" "./etc/loginguard/loginguard.conf " "uninstall leaves only the config"
lg_done
