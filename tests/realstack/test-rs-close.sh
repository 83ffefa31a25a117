#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# close_session on the real stack (systemd 252): a session opened while
# logind was healthy, closed while logind is frozen. Stock pam_systemd's
# ReleaseSession waits on the bus (25 s); the wrapped close is cut at the
# deadline. After the thaw logind has nothing left of either session.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
. "$LG_ROOT/tests/lib/realstack.sh"
rs_boot bookworm
rs_install
DEADLINE=1500
CAP=5
rs_pam_service stock "session optional pam_systemd.so" "session required pam_permit.so"
rs_pam_service wrapped "session optional pam_loginguard.so deadline=$DEADLINE wrap=pam_systemd.so" \
        "session required pam_permit.so"

hold=/run/lg-hold
held() { # SERVICE CAP -> background login holding its session; HOLD_PID, HOLD_OUT
        HOLD_OUT=$(rs_path "$hold.$1.out")
        rm -f "$(rs_path "$hold.$1.open")" "$(rs_path "$hold.$1")"
        rs_run sh -c "exec timeout -s KILL $2 $RS_TOOLS/pam-driver --confdir $RS_TOOLS/pam.d \
                --service $1 --hold $hold.$1 >$hold.$1.out 2>&1" &
        HOLD_PID=$!
        for _ in $(seq 1 300); do [ -e "$(rs_path "$hold.$1.open")" ] && break; sleep 0.05; done
}
release() { touch "$(rs_path "$hold.$1")"; wait "$HOLD_PID"; }

held stock 60
stock_out=$HOLD_OUT
stock_pid=$HOLD_PID
held wrapped 60
lg_assert_match "$(cat "$stock_out")" '^env\.XDG_SESSION_ID=' "stock session open and registered"
lg_assert_match "$(cat "$HOLD_OUT")" '^env\.XDG_SESSION_ID=' "wrapped session open and registered"
lg_assert_eq "$(rs_exec loginctl list-sessions --no-legend | awk 'NF && !/ manager /' | wc -l)" 2 "logind lists both sessions"
base=$(($(lg_kv "$(cat "$HOLD_OUT")" open_usec) / 1000)) # the healthy open: the baseline below

rs_freeze_unit systemd-logind
t0=$(date +%s%N)
release wrapped
ms=$(($(lg_kv "$(cat "$HOLD_OUT")" close_usec) / 1000))
lg_assert_within "$ms" "$DEADLINE" "$base" "logind frozen: wrapped close_session cut at the deadline (ms)"
lg_assert_eq "$(lg_kv "$(cat "$HOLD_OUT")" close_rc)" PAM_SUCCESS "logind frozen: wrapped close_session answers PAM_SUCCESS"
# Stock: ReleaseSession blocks on the frozen logind (25 s).
touch "$(rs_path "$hold.stock")"
sleep "$CAP"
lg_assert_eq "$(lg_kv "$(cat "$stock_out")" close_rc)" "" "logind frozen: stock close_session still blocked after ${CAP} s"
rs_thaw
wait "$stock_pid"
lg_assert_eq "$(lg_kv "$(cat "$stock_out")" close_rc)" PAM_SUCCESS "after the thaw, stock close_session completes"
lg_assert_ge "$(($(lg_kv "$(cat "$stock_out")" close_usec) / 1000))" "$(((CAP - 1) * 1000))" "stock close_session waited for the thaw (ms)"
rs_settle 3
rs_assert_clean "after the thaw"
lg_done
