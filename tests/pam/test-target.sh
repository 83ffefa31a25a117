#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The wrapped target: arguments after wrap= reach it unchanged; a bare
# name resolves beside pam_loginguard.so; a missing, non-root-owned or
# group-writable target is refused (PAM_IGNORE, the login goes on); a
# line without wrap= is a logged no-op; unknown options are ignored.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_login_stack
: >"$LG_TMP/empty.conf"
opts="conf=$LG_TMP/empty.conf state_dir=$LG_TMP/state status=$LG_TMP/none"
login() { lg_driver "$1"; }

lg_service args "$(lg_module_line optional "$opts" wrap="$PAM_SYSTEMD" class=greeter type=x11)"
out=$(login args)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "arguments after wrap=: session registered"
lg_assert_match "$(cat "$LG_TMP/logind.log")" 'CreateSession .*type=x11 class=greeter' \
        "arguments after wrap= reach pam_systemd unchanged"

# A bare name resolves in the directory pam_loginguard.so was loaded from.
mods=$LG_TMP/mods
mkdir -p "$mods"
cp "$B/pam_loginguard.so" "$PAM_SYSTEMD" "$mods/"
printf 'session optional %s/pam_loginguard.so %s wrap=pam_systemd.so\n' "$mods" "$opts" >"$LG_TMP/pam.d/bare"
out=$(login bare)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "wrap=pam_systemd.so resolves beside pam_loginguard.so"

refused() { # SERVICE WHAT
        local out
        out=$(login "$1")
        if [ "$(lg_kv "$out" open_rc)" = PAM_SUCCESS ] &&
                printf '%s\n' "$out" | grep -q '^env\.LOGINGUARD_FALLBACK=target$' &&
                ! printf '%s\n' "$out" | grep -q '^env\.XDG_SESSION_ID='; then
                lg_ok "$2: refused, login goes on"
        else
                lg_fail "$2"
                printf '%s\n' "$out" | sed 's/^/#   /'
        fi
}
printf 'session optional %s/pam_loginguard.so %s wrap=%s/missing.so\nsession required pam_permit.so\n' \
        "$B" "$opts" "$mods" >"$LG_TMP/pam.d/missing"
refused missing "missing target"
cp "$PAM_SYSTEMD" "$mods/writable.so"
chmod 0666 "$mods/writable.so"
printf 'session optional %s/pam_loginguard.so %s wrap=%s/writable.so\nsession required pam_permit.so\n' \
        "$B" "$opts" "$mods" >"$LG_TMP/pam.d/writable"
refused writable "world-writable target"
cp "$PAM_SYSTEMD" "$mods/notroot.so"
chown 65534 "$mods/notroot.so"
printf 'session optional %s/pam_loginguard.so %s wrap=%s/notroot.so\nsession required pam_permit.so\n' \
        "$B" "$opts" "$mods" >"$LG_TMP/pam.d/notroot"
refused notroot "target not owned by root"

printf 'session optional %s/pam_loginguard.so %s\nsession required pam_permit.so\n' "$B" "$opts" >"$LG_TMP/pam.d/nowrap"
out=$(login nowrap)
lg_assert_eq "$(lg_kv "$out" open_rc)" PAM_SUCCESS "no wrap=: PAM_IGNORE, the stack goes on"

lg_service unknown "$(lg_module_line optional "$opts" frobnicate=3 deadline=banana wrap="$PAM_SYSTEMD")"
out=$(login unknown)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "unknown option and bad value are ignored, login registered"

# A corrupt config file: logged, defaults used, login unaffected.
printf 'deadline = 500\nthis is wrong\n' >"$LG_TMP/bad.conf"
lg_service badconf "$(lg_module_line optional "conf=$LG_TMP/bad.conf state_dir=$LG_TMP/state" wrap="$PAM_SYSTEMD")"
out=$(login badconf)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=' "corrupt config file: login unaffected"

# Two handles of one process with their sessions open at once, as in a
# server that logs in several users: each keeps its own state (the first in
# the module's data page, the second on the heap: pam_loginguard.c), and
# after the first handle ended the next round's takes the data page again.
# pam_deny denies close_session where pam_permit succeeds, so a close that
# reached the other handle's state would answer the other way.
dir=${PAM_SYSTEMD%/*}
lg_service first "$(lg_module_line optional "$opts" wrap="$dir/pam_permit.so")"
lg_service second "$(lg_module_line optional "$opts" wrap="$dir/pam_deny.so")"
out=$(lg_driver first --overlap second --repeat 2)
lg_assert_eq "$(printf '%s\n' "$out" | grep -c '^close_rc=PAM_SUCCESS$')" 2 \
        "two handles at once: the first's close reaches its own target, in both rounds"
lg_assert_eq "$(printf '%s\n' "$out" | grep -c '^overlap_close_rc=PAM_PERM_DENIED$')" 2 \
        "two handles at once: the second's close reaches its own target, after the first ended"
lg_assert_eq "$(printf '%s\n' "$out" | grep -c '^overlap_open_rc=PAM_PERM_DENIED$')" 2 \
        "two handles at once: the second's open reaches its own target"

lg_done
