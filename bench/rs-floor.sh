#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/rs-floor.sh: bench/floor.sh's question on the real stack (systemd
# 252 as PID 1 in systemd-nspawn, tests/lib/realstack.sh). How much of
# what the wrapper adds to a login against the real logind would any
# module add, and any wrapper? Four stacks, one login per process, in
# rotating order by a loop inside the container (no agent between
# logins), guardd.service watching the wrapped calls:
#   stock    pam_systemd
#   noop     bench/pam_noop.so (a module that does nothing), then pam_systemd
#   bare     bench/pam_barewrap.so wrap=pam_systemd (dlopen and call, no guard)
#   wrapped  pam_loginguard wrap=pam_systemd.so
# Prints, per phase of the PAM driver (pam_start, open_session,
# close_session, pam_end) and for the whole login, the medians and the
# paired differences (mean with a 95% CI, and median), and the ratios of
# means against stock. BENCH_RS_FLOOR_N rounds (default 1500);
# BENCH_RS_FLOOR_GAP seconds of sleep before each login (default 0), for
# logins that find the machine idle rather than back to back. Root.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
[ "$(id -u)" = 0 ] || { echo "bench/rs-floor.sh needs root"; exit 1; }
. tests/lib/harness.sh
lg_enter_namespace "$@" # re-runs this script in a private mount namespace
lg_setup
. tests/lib/realstack.sh
. bench/lib.sh
N=${BENCH_RS_FLOOR_N:-1500}
GAP=${BENCH_RS_FLOOR_GAP:-0}

rs_boot bookworm
rs_install
cp "$B/bench/pam_noop.so" "$B/bench/pam_barewrap.so" "$RS_ROOT$RS_TOOLS/" || exit 1
rs_pam_service stock "session optional pam_systemd.so" "session required pam_permit.so"
rs_pam_service noop "session optional $RS_TOOLS/pam_noop.so" "session optional pam_systemd.so" \
        "session required pam_permit.so"
rs_pam_service bare "session optional $RS_TOOLS/pam_barewrap.so wrap=$(rs_exec sh -c \
        'ls /lib/*/security/pam_systemd.so | head -1')" "session required pam_permit.so"
rs_pam_service wrapped "session optional pam_loginguard.so wrap=pam_systemd.so" \
        "session required pam_permit.so"
rs_exec systemctl daemon-reload
rs_exec systemctl enable --now guardd.service >/dev/null 2>&1
rs_wait_status LOGIN1_ACTION allow 15 || echo "guardd did not say allow"

cat >"$RS_ROOT$RS_TOOLS/floor.sh" <<'LOOP'
#!/bin/bash
# floor.sh ROUNDS GAP: "STACK key=value ..." a login
cd "$(dirname "$0")" || exit 1
for ((i = 0; i < $1; i++)); do
        case $((i % 4)) in
        0) order="stock noop bare wrapped" ;;
        1) order="noop bare wrapped stock" ;;
        2) order="bare wrapped stock noop" ;;
        *) order="wrapped stock noop bare" ;;
        esac
        for s in $order; do
                [ "$2" = 0 ] || sleep "$2"
                echo "$s $(./pam-driver --confdir ./pam.d --service "$s" --ops open,close | tr '\n' ' ')"
        done
done
LOOP
chmod +x "$RS_ROOT$RS_TOOLS/floor.sh"
RS_RUN_CAP=60 rs_run "$RS_TOOLS/floor.sh" 4 0 >/dev/null # warm all four
calls0=$(rs_status_key WATCH_CALLS)
RS_RUN_CAP=3600 rs_run "$RS_TOOLS/floor.sh" "$N" "$GAP" >"$LG_TMP/all"
sleep 1.5 # guardd's status is rewritten every second
echo "$N rounds, gap ${GAP} s, guardd: WATCHDOG=$(rs_status_key WATCHDOG)," \
        "$(($(rs_status_key WATCH_CALLS) - calls0)) calls handed to it"
# One file a stack and measure, a number a login, for lib.sh's helpers.
S="stock noop bare wrapped"
K="start_usec open_usec close_usec end_usec total_usec minflt"
for s in $S; do
        for k in $K; do
                awk -v s="$s" -v k="$k" '$1 == s && / total_usec=/ {for (i = 2; i <= NF; i++)
                        if (index($i, k "=") == 1) print substr($i, length(k) + 2)}' "$LG_TMP/all" >"$LG_TMP/$s.$k"
        done
done
n=$(wc -l <"$LG_TMP/stock.total_usec")
printf '\n%s logins of each. Medians, us:\n\n' "$n"
echo "| stack | pam_start | open_session | close_session | pam_end | pam_start..pam_end | page faults |"
echo "|---|---|---|---|---|---|---|"
for s in $S; do
        row="| $s |"
        for k in $K; do row="$row $(stats "$LG_TMP/$s.$k" | cut -d' ' -f1) |"; done
        echo "$row"
done
printf '\nPaired differences, us: mean +- 95%% CI (median):\n\n'
echo "| | pam_start | open_session | close_session | pam_end | pam_start..pam_end |"
echo "|---|---|---|---|---|---|"
for ab in stock:noop noop:wrapped stock:wrapped stock:bare bare:wrapped; do
        a=${ab%:*} b=${ab#*:} row="| $b - $a |"
        for k in ${K% minflt}; do
                read -r med mean ci < <(paired "$LG_TMP/$a.$k" "$LG_TMP/$b.$k")
                row="$row $(printf '%+d +- %d (%+d)' "$mean" "$ci" "$med") |"
        done
        echo "$row"
done
printf '\nRatio of means against stock (stock mean %s ms):\n' \
        "$(awk '{s+=$1; n++} END {printf "%.2f", s/n/1000}' "$LG_TMP/stock.total_usec")"
for b in noop bare wrapped; do
        echo "- $b: $(ratio_of "$LG_TMP/stock.total_usec" "$LG_TMP/$b.total_usec")"
done
