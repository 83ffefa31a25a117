#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What the watchdog may cut. A process holding 15,000 sockets still logs
# in (one sorted fd table, no quadratic set): healthy it is registered;
# with logind frozen exactly one connection is cut, the bus socket the
# wrapped module opened, and none of the program's. A threaded program's
# other thread that connects elsewhere during the call keeps its
# connection. Timing for 15,000 sockets is in docs/BENCHMARKS.md.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_login_stack
: >"$LG_TMP/empty.conf"
opts="conf=$LG_TMP/empty.conf state_dir=$LG_TMP/state status=$LG_TMP/none deadline=1000 trip=50"
lg_service guarded "$(lg_module_line optional "$opts" wrap="$PAM_SYSTEMD")" "session required pam_permit.so"

out=$(lg_driver guarded)
base=$(($(lg_kv "$out" open_usec) / 1000)) # a healthy call without the sockets
out=$(lg_driver guarded --sockets 15000)
lg_assert_match "$out" '^env\.XDG_SESSION_ID=c[0-9]+$' "15,000 sockets held: healthy login registered"
# Taking 15,000 sockets costs ~1.3 ms (docs/BENCHMARKS.md); a listing that
# grew without bound would cost far more than the deadline.
lg_assert_within "$(($(lg_kv "$out" open_usec) / 1000))" 250 "$base" "15,000 sockets held: open_session stays fast (ms)"

side=$LG_TMP/side.sock
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(64); held = []
while True: held.append(s.accept())' "$side" &
lg_track $!
lg_wait_for "$side" 5 || lg_fail "side listener did not start"

lg_freeze "$LOGIND_PID"
out=$(lg_driver guarded --sockets 15000 --side "$side" --ops open)
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" deadline "logind frozen, 15,000 sockets: cut at the deadline"
lg_assert_within "$(($(lg_kv "$out" open_usec) / 1000))" 1250 "$base" "logind frozen, 15,000 sockets: within the deadline + 250 ms (ms)"
lg_assert_match "$(lg_kv "$out" msg.info)" '\(1 connection cut\)' "exactly one connection cut: the bus socket of the call"
lg_assert_eq "$(lg_kv "$out" side_connected)" 1 "another thread connected elsewhere during the call"
lg_assert_eq "$(lg_kv "$out" side_cut)" 0 "that thread's connection was not cut"
lg_thaw "$LOGIND_PID"
lg_done
