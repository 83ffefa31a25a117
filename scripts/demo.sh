#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# make demo: replays the stuck-logind incident in a private mount
# namespace (its own /run, a private dbus-daemon, the logind double) and
# times real logins through the distribution's pam_systemd.so, stock and
# wrapped by pam_loginguard. Nothing on the host is changed.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD

if [ "$(id -u)" != 0 ]; then
        echo "make demo needs root: it runs in a private mount namespace (unshare -m) with its own /run."
        exit 1
fi
if [ -z "${LG_IN_NS:-}" ]; then
        LG_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi

. tests/lib/harness.sh
lg_enter_namespace
lg_setup
lg_find_pam_systemd

if [ -t 1 ]; then
        BOLD=$'\e[1m' RED=$'\e[31m' GREEN=$'\e[32m' YELLOW=$'\e[33m' DIM=$'\e[2m' OFF=$'\e[0m'
else
        BOLD="" RED="" GREEN="" YELLOW="" DIM="" OFF=""
fi
say() { printf '%s\n' "$*"; }
step() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$OFF"; }
ROWS=()
row() { ROWS+=("$(printf '%-52s %10s  %s' "$1" "$2" "$3")"); }

DEADLINE=${DEMO_DEADLINE_MS:-2000}
CAP=${DEMO_STOCK_CAP_S:-10}
: >"$LG_TMP/empty.conf"
opts="conf=$LG_TMP/empty.conf state_dir=/run/loginguard status=/run/loginguard/status deadline=$DEADLINE"
lg_service stock "session required pam_permit.so" "session optional $PAM_SYSTEMD"
lg_service guarded "session required pam_permit.so" \
        "$(lg_module_line optional "$opts" wrap="$PAM_SYSTEMD")"

login() { # SERVICE CAP_S -> sets OUT, MS
        local t0 t1
        t0=$(date +%s%N)
        OUT=$(timeout -s KILL "$2" "$B/tests/pam-driver" --confdir "$LG_TMP/pam.d" --service "$1" --ops open 2>&1)
        t1=$(date +%s%N)
        MS=$(((t1 - t0) / 1000000))
}

step "Setting up: private /run, dbus-daemon on /run/dbus/system_bus_socket, logind double"
lg_start_bus /run/dbus/system_bus_socket
lg_start_logind
say "  bus pid $BUS_PID, logind double pid $LOGIND_PID, pam_systemd: $PAM_SYSTEMD"

step "(a) Healthy logind"
login stock 30
say "  stock pam_systemd:   $(lg_kv "$OUT" open_rc), session $(lg_kv "$OUT" env.XDG_SESSION_ID), ${GREEN}${MS} ms${OFF}"
row "healthy, stock pam_systemd" "${MS} ms" "session $(lg_kv "$OUT" env.XDG_SESSION_ID)"
login guarded 30
say "  pam_loginguard:      $(lg_kv "$OUT" open_rc), session $(lg_kv "$OUT" env.XDG_SESSION_ID), ${GREEN}${MS} ms${OFF}"
row "healthy, pam_loginguard wrap=pam_systemd.so" "${MS} ms" "session $(lg_kv "$OUT" env.XDG_SESSION_ID)"

step "(b) logind frozen (SIGSTOP), like a spinning systemd-logind (incident 1)"
lg_freeze "$LOGIND_PID"
say "  stock pam_systemd, capped at ${CAP} s (Debian 12 would wait 120 s) ..."
login stock "$CAP"
if [ -z "$(lg_kv "$OUT" open_rc)" ]; then
        say "  stock pam_systemd:   ${RED}still blocked after ${MS} ms${OFF} - killed; it would wait 120 s"
        row "logind frozen, stock pam_systemd" "> ${MS} ms" "killed at the cap; waits 120 s"
else
        say "  stock pam_systemd:   $(lg_kv "$OUT" open_rc) after ${MS} ms"
        row "logind frozen, stock pam_systemd" "${MS} ms" "$(lg_kv "$OUT" open_rc)"
fi
login guarded 30
say "  pam_loginguard 1st:  $(lg_kv "$OUT" open_rc), ${YELLOW}${MS} ms${OFF}, LOGINGUARD_FALLBACK=$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)"
say "  ${DIM}$(lg_kv "$OUT" msg.info)${OFF}"
row "logind frozen, pam_loginguard, 1st login (cut)" "${MS} ms" "deadline ${DEADLINE} ms"
login guarded 30
say "  pam_loginguard 2nd:  $(lg_kv "$OUT" open_rc), ${YELLOW}${MS} ms${OFF}, LOGINGUARD_FALLBACK=$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)"
row "logind frozen, pam_loginguard, 2nd login (cut)" "${MS} ms" "breaker trips (trip=2)"
for i in 3 4 5; do
        login guarded 30
        say "  pam_loginguard #${i}:   $(lg_kv "$OUT" open_rc), ${GREEN}${MS} ms${OFF}, LOGINGUARD_FALLBACK=$(lg_kv "$OUT" env.LOGINGUARD_FALLBACK)"
done
row "logind frozen, pam_loginguard, later logins" "${MS} ms" "breaker open: skipped"
say "  breaker: $(tr '\n' ' ' </run/loginguard/breaker-pam_systemd | cut -c1-110)..."
lg_thaw "$LOGIND_PID"

step "Timings"
printf '%s%-52s %10s  %s%s\n' "$BOLD" "scenario" "open" "note" "$OFF"
for r in "${ROWS[@]}"; do say "$r"; done
say ""
say "Everything ran in a private mount namespace; the host's /run, /etc/pam.d and system bus were not touched."
