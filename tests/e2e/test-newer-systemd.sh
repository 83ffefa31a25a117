#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The real pam_systemd of newer systemd, in Debian chroots (scripts/chroots.sh):
# trixie (systemd 257, D-Bus) and sid (systemd 258+, Varlink at
# /run/systemd/io.systemd.Login, which the logind double then serves too).
# For each: healthy -> registered through the wrapped module; double frozen
# -> open returns within deadline + 250 ms with the fallback; the breaker
# then skips; for sid also the D-Bus fallback (Varlink socket absent).
# The module and the PAM driver built here (Debian 12) run in the chroots.
# Skipped (exit 77, with the reason) when debootstrap or the archive cannot
# be had. Timings go to $LG_COMPAT_OUT for docs/COMPATIBILITY.md.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
[ -z "${SANITIZE:-}" ] || lg_skip "an ASan-built module cannot run in the chroots"
SUITES=${LG_COMPAT_SUITES:-trixie sid}
OUT=${LG_COMPAT_OUT:-$LG_TMP/compat.txt}
DEADLINE=1000
: >"$OUT"

prepare() { # SUITE -> ROOT
        ROOT=$("$LG_ROOT/scripts/chroots.sh" "$1") || return 1
        mount -t proc proc "$ROOT/proc"
        mount --rbind /dev "$ROOT/dev"
        # The namespace's own /run, shared with the chroot: the bus and the
        # double's Varlink socket are bound at the paths the chroot's
        # pam_systemd connects to, as on a real host (the module recognizes
        # the sockets it may cut by the address their server bound).
        mount --rbind /run "$ROOT/run"
        mkdir -p "$ROOT/opt/lg/pam.d"
        mount -t tmpfs -o mode=0755 tmpfs "$ROOT/opt/lg"
        mkdir -p "$ROOT/opt/lg/pam.d" "$ROOT/opt/lg/state"
        cp "$B/pam_loginguard.so" "$B/tests/pam-driver" "$ROOT/opt/lg/"
        : >"$ROOT/opt/lg/empty.conf"
        PS=$(cd "$ROOT" && ls -d usr/lib/*/security/pam_systemd.so lib/*/security/pam_systemd.so 2>/dev/null | head -1)
        [ -n "$PS" ] || return 1
        printf 'session required pam_permit.so\nsession optional %s\n' "/$PS" >"$ROOT/opt/lg/pam.d/stock"
        printf 'session optional /opt/lg/pam_loginguard.so conf=/opt/lg/empty.conf state_dir=/opt/lg/state status=/run/loginguard/status deadline=%s trip=2 cooldown=600 wrap=/%s\nsession required pam_permit.so\n' \
                "$DEADLINE" "$PS" >"$ROOT/opt/lg/pam.d/guarded"
}

in_root() { # SERVICE [CAP_S] -> OUT_TXT
        OUT_TXT=$(DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket timeout -s KILL "${2:-60}" \
                chroot "$ROOT" /opt/lg/pam-driver --confdir /opt/lg/pam.d --service "$1" 2>&1)
}

prove() { # SUITE VIA(dbus|varlink)
        local suite=$1 via=$2 version stock_ms first_ms skip_ms usec
        version=$(cat "$ROOT/.loginguard-ready")
        rm -rf "$ROOT/opt/lg/state"/*
        lg_start_bus /run/dbus/system_bus_socket
        if [ "$via" = varlink ]; then
                lg_start_logind --varlink /run/systemd/io.systemd.Login
        else
                rm -f /run/systemd/io.systemd.Login
                lg_start_logind
        fi
        : >"$LG_TMP/logind.log.$suite.$via"
        in_root guarded
        lg_assert_match "$OUT_TXT" '^env\.XDG_SESSION_ID=c[0-9]+$' "$suite ($version, $via): healthy, registered through the wrapped module"
        base=$(($(lg_kv "$OUT_TXT" open_usec) / 1000))
        if [ "$via" = varlink ]; then
                lg_assert_match "$(cat "$LG_TMP/logind.log")" "via=varlink" "$suite: pam_systemd talked Varlink to the double"
        else
                lg_assert_nomatch "$(grep CreateSession "$LG_TMP/logind.log" | tail -1)" "via=varlink" "$suite ($via): pam_systemd talked D-Bus"
        fi
        lg_assert_match "$OUT_TXT" '^close_rc=PAM_SUCCESS$' "$suite ($via): close_session released it"
        lg_freeze "$LOGIND_PID"
        in_root stock 5
        usec=$(lg_kv "$OUT_TXT" open_usec)
        if [ -n "$usec" ]; then stock_ms=$((usec / 1000)); else stock_ms="> 5000 (killed)"; fi
        in_root guarded
        usec=$(lg_kv "$OUT_TXT" open_usec)
        first_ms=$((usec / 1000))
        lg_assert_match "$OUT_TXT" '^env\.LOGINGUARD_FALLBACK=deadline$' "$suite ($via): frozen double, fallback set"
        lg_assert_within "$first_ms" "$DEADLINE" "$base" "$suite ($via): frozen double, open cut at the deadline (ms)"
        in_root guarded
        in_root guarded
        skip_ms=$(($(lg_kv "$OUT_TXT" open_usec) / 1000))
        lg_assert_match "$OUT_TXT" '^env\.LOGINGUARD_FALLBACK=breaker$' "$suite ($via): the breaker then skips"
        lg_assert_within "$skip_ms" 0 "$base" "$suite ($via): skip is immediate, no deadline wait (ms)"
        printf '%s|%s|%s|%s|%s|%s\n' "$suite" "$version" "$via" "$stock_ms" "$first_ms" "$skip_ms" >>"$OUT"
        lg_thaw "$LOGIND_PID"
        kill "$LOGIND_PID" "$BUS_PID"; wait "$LOGIND_PID" "$BUS_PID" 2>/dev/null
}

ran=0
for suite in $SUITES; do
        if ! prepare "$suite"; then
                lg_log "no $suite chroot (scripts/chroots.sh: debootstrap or the archive unavailable)"
                continue
        fi
        ran=1
        major=$(sed 's/^\([0-9]*\).*/\1/' "$ROOT/.loginguard-ready")
        if [ "$major" -ge 258 ]; then
                prove "$suite" varlink
                prove "$suite" dbus   # Varlink socket absent: pam_systemd falls back to D-Bus
        else
                prove "$suite" dbus
        fi
        umount -R "$ROOT/dev" "$ROOT/proc" "$ROOT/opt/lg" 2>/dev/null
        umount -l "$ROOT/run" 2>/dev/null
done
[ "$ran" = 1 ] || lg_skip "no chroot could be built for: $SUITES"
lg_done
