#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# guardd check-config: the shipped file passes; every error names
# file:line and the key; untrusted files (symlink, world-writable) and a
# missing explicit file are refused; the daemon refuses to start on them.
. "$(dirname "$0")/../lib/harness.sh"
lg_setup
c=$LG_TMP/c.conf

out=$("$B/guardd" check-config --config "$LG_ROOT/conf/loginguard.conf" 2>&1); rc=$?
lg_assert_eq "$rc" 0 "shipped conf/loginguard.conf passes check-config"
sed 's/^#\([a-z_]* =\)/\1/' "$LG_ROOT/conf/loginguard.conf" >"$c"
out=$("$B/guardd" check-config --config "$c" 2>&1); rc=$?
lg_assert_eq "$rc" 0 "shipped file with every key uncommented passes"

check_error() { # CONTENT REGEX WHAT
        printf '%b' "$1" >"$c"
        chmod 0644 "$c"
        out=$("$B/guardd" check-config --config "$c" 2>&1); rc=$?
        lg_assert_eq "$rc" 1 "$3: exit 1"
        lg_assert_match "$out" "$2" "$3: message"
}
check_error 'interval_ms = 500\nfrobnicate = 1\n' "^$c:2: unknown key 'frobnicate'" "unknown key"
check_error '\n\ninterval_ms = soon\n' "^$c:3: invalid value 'interval_ms'" "bad value"
check_error 'interval_ms = 1\n' "^$c:1: value out of range 'interval_ms'" "out of range"
check_error 'devlog_remedy = resume,reboot\n' "^$c:1: invalid value 'devlog_remedy'" "bad remedy list"
check_error 'status_path = relative\n' "^$c:1: invalid value 'status_path'" "relative path"
check_error 'no equals sign here\n' "^$c:1: line is not 'key = value'" "line without ="
printf 'interval_ms = 500\n' >"$c"; chmod 0666 "$c"
out=$("$B/guardd" check-config --config "$c" 2>&1); rc=$?
lg_assert_eq "$rc" 1 "world-writable config refused"
lg_assert_match "$out" "$c: is writable by group or others, refusing it" "world-writable: says why"
chmod 0644 "$c"; ln -s "$c" "$LG_TMP/link.conf"
out=$("$B/guardd" check-config --config "$LG_TMP/link.conf" 2>&1); rc=$?
lg_assert_eq "$rc" 1 "symlinked config refused"
lg_assert_match "$out" "link.conf: is a symlink" "symlink: says why"
out=$("$B/guardd" check-config --config "$LG_TMP/none.conf" 2>&1); rc=$?
lg_assert_eq "$rc" 1 "missing explicit config refused"
lg_assert_match "$out" "none.conf.*No such file" "missing: says why"
printf 'bogus = 1\n' >"$c"
out=$(timeout 10 "$B/guardd" --config "$c" 2>&1); rc=$?
lg_assert_eq "$rc" 1 "daemon refuses to start with a bad config"
lg_assert_match "$out" "$c:1: unknown key 'bogus'" "daemon names file:line"
out=$("$B/guardd" frobnicate 2>&1); rc=$?
lg_assert_eq "$rc" 2 "unknown command: exit 2"
lg_done
