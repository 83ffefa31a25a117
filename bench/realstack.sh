#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Benchmarks on the real stack (systemd 252 as PID 1 in systemd-nspawn,
# real logind, dbus-daemon and sshd; tests/lib/realstack.sh), printed as a
# markdown section on stdout (bench/run.sh puts it in docs/BENCHMARKS.md):
#   - healthy overhead: pam_start..pam_end of the PAM driver, one login per
#     process, stock and wrapped paired (alternating order), the paired
#     difference with a 95% confidence interval and the ratio of means;
#   - whole ssh logins through the real sshd, stock and wrapped, paired;
#   - how long stock pam_systemd really waits: logind frozen (open and
#     close_session), dbus-daemon frozen (BENCH_FULL_WAITS=0 skips them).
# Runs standalone too: bench/realstack.sh (root).
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
[ "$(id -u)" = 0 ] || { echo "bench/realstack.sh needs root"; exit 1; }
. tests/lib/harness.sh
lg_enter_namespace "$@" # re-runs this script in a private mount namespace
lg_setup
. tests/lib/realstack.sh
. bench/lib.sh
exec 3>&1 >&2 # the section goes to fd 3, progress to stderr
NP=${BENCH_RS_PAIRS:-1000}
NSSH=${BENCH_RS_SSH:-30}
FULL=${BENCH_FULL_WAITS:-1}

us2ms() { awk -v u="$1" 'BEGIN {printf "%.2f", u/1000}'; }

rs_boot bookworm
rs_install
rs_pam_service stock "session optional pam_systemd.so" "session required pam_permit.so"
rs_pam_service wrapped "session optional pam_loginguard.so wrap=pam_systemd.so" "session required pam_permit.so"
rs_exec systemctl daemon-reload
rs_exec systemctl enable --now guardd.service >/dev/null 2>&1
rs_wait_status LOGIN1_ACTION allow 15 || echo "guardd did not say allow"

one() { # SERVICE FILE: one login in its own process, pam_start..pam_end in us
        rs_driver "$1" 60 --ops open,close
        lg_kv "$OUT" total_usec >>"$2"
}
echo "healthy: $NP pairs through the PAM driver"
: >"$LG_TMP/s" && : >"$LG_TMP/w"
one stock /dev/null && one wrapped /dev/null # warm both
for ((i = 0; i < NP; i++)); do
        if ((i % 2)); then one stock "$LG_TMP/s"; one wrapped "$LG_TMP/w"; else one wrapped "$LG_TMP/w"; one stock "$LG_TMP/s"; fi
done
sleep 1.5 # guardd's status is rewritten every second
watchdog=$(rs_status_key WATCHDOG) watch_calls=$(rs_status_key WATCH_CALLS)
read -r s_med s_p99 < <(stats "$LG_TMP/s")
read -r w_med w_p99 < <(stats "$LG_TMP/w")
read -r _ d_mean d_ci < <(paired "$LG_TMP/s" "$LG_TMP/w")
s_mean=$(awk '{s+=$1; n++} END {printf "%.0f", s/n}' "$LG_TMP/s")
ratio_ci=$(ratio_of "$LG_TMP/s" "$LG_TMP/w")

# The same pairs, by a loop inside the container: no nsenter or agent
# between logins, the container's own shell forking each driver as sshd
# would. $2 names the output; "service total_usec" a line.
NL=${BENCH_RS_LOOP:-1000}
cat >"$RS_ROOT$RS_TOOLS/loop.sh" <<'LOOP'
#!/bin/bash
cd "$(dirname "$0")" || exit 1
for ((i = 0; i < $1; i++)); do
        if ((i % 2)); then order="stock wrapped"; else order="wrapped stock"; fi
        for s in $order; do
                echo "$s $(./pam-driver --confdir ./pam.d --service "$s" --ops open,close | sed -n 's/^total_usec=//p')"
        done
done
LOOP
chmod +x "$RS_ROOT$RS_TOOLS/loop.sh"
in_loop() { # PAIRS TAG -> $LG_TMP/TAG.s, $LG_TMP/TAG.w
        RS_RUN_CAP=900 rs_run "$RS_TOOLS/loop.sh" "$1" >"$LG_TMP/$2.all"
        awk '$1 == "stock" && $2 != "" {print $2}' "$LG_TMP/$2.all" >"$LG_TMP/$2.s"
        awk '$1 == "wrapped" && $2 != "" {print $2}' "$LG_TMP/$2.all" >"$LG_TMP/$2.w"
}
echo "healthy: $NL pairs by a loop inside the container"
calls0=$(rs_status_key WATCH_CALLS)
in_loop "$NL" loop
sleep 1.5 # guardd's status is rewritten every second
loop_calls=$(($(rs_status_key WATCH_CALLS) - calls0))
read -r l_s_med _ < <(stats "$LG_TMP/loop.s")
read -r l_w_med _ < <(stats "$LG_TMP/loop.w")
read -r _ l_d_mean l_d_ci < <(paired "$LG_TMP/loop.s" "$LG_TMP/loop.w")
loop_ratio=$(ratio_of "$LG_TMP/loop.s" "$LG_TMP/loop.w")

# The fallback beside it: guardd stopped, each wrapped call watched by the
# module's own thread.
NT=$((NL / 2))
echo "thread fallback: $NT pairs by the loop, guardd stopped"
rs_exec systemctl stop guardd.service
in_loop "$NT" thread
rs_exec systemctl start guardd.service
rs_wait_status LOGIN1_ACTION allow 15 || echo "guardd did not say allow again"
read -r t_s_med _ < <(stats "$LG_TMP/thread.s")
read -r t_w_med _ < <(stats "$LG_TMP/thread.w")
read -r _ t_d_mean t_d_ci < <(paired "$LG_TMP/thread.s" "$LG_TMP/thread.w")
thread_ratio=$(ratio_of "$LG_TMP/thread.s" "$LG_TMP/thread.w")

echo "ssh: $NSSH pairs"
: >"$LG_TMP/ss" && : >"$LG_TMP/sw"
ssh_one() { # wrapped|stock FILE
        if [ "$1" = wrapped ]; then
                rs_exec loginguard-pam enable >/dev/null 2>&1
        else
                rs_exec loginguard-pam disable >/dev/null 2>&1
        fi
        rs_ssh lguser true
        echo $((MS * 1000)) >>"$2"
}
ssh_one stock /dev/null
for ((i = 0; i < NSSH; i++)); do
        if ((i % 2)); then ssh_one stock "$LG_TMP/ss"; ssh_one wrapped "$LG_TMP/sw"; else ssh_one wrapped "$LG_TMP/sw"; ssh_one stock "$LG_TMP/ss"; fi
done
rs_exec loginguard-pam disable >/dev/null 2>&1
read -r ss_med _ < <(stats "$LG_TMP/ss")
read -r sw_med _ < <(stats "$LG_TMP/sw")
read -r _ sd_mean sd_ci < <(paired "$LG_TMP/ss" "$LG_TMP/sw")

waits=""
if [ "$FULL" = 1 ]; then
        rs_exec systemctl stop guardd.service
        echo "stock, logind frozen: waiting for pam_systemd to give up"
        rs_freeze_unit systemd-logind.service
        rs_driver stock 200 --ops open
        w_l=$(lg_kv "$OUT" open_usec)
        rs_thaw
        rs_settle 5
        echo "stock, dbus-daemon frozen"
        rs_freeze_unit dbus.service
        rs_driver stock 200 --ops open
        w_d=$(lg_kv "$OUT" open_usec)
        rs_thaw
        rs_settle 5
        echo "stock close_session, logind frozen after open"
        rm -f "$(rs_path /run/lg-hold)" "$(rs_path /run/lg-hold.open)"
        (rs_driver stock 200 --ops open,close --hold /run/lg-hold; printf '%s\n' "$OUT" >"$LG_TMP/close.out") &
        drv=$!
        for _ in $(seq 1 200); do [ -e "$(rs_path /run/lg-hold.open)" ] && break; sleep 0.05; done
        rs_freeze_unit systemd-logind.service
        touch "$(rs_path /run/lg-hold)"
        wait "$drv"
        w_c=$(lg_kv "$(cat "$LG_TMP/close.out")" close_usec)
        rs_thaw
        waits=$(
                cat <<TAB

How long stock pam_systemd 252 waits when the login path is stuck (one login each, guardd
stopped, nothing cut):

| stuck | stock call | waited |
| --- | --- | --- |
| logind frozen (SIGSTOP) | open_session | $(us2ms "${w_l:-0}") ms |
| dbus-daemon frozen | open_session | $(us2ms "${w_d:-0}") ms |
| logind frozen after the session opened | close_session | $(us2ms "${w_c:-0}") ms |
TAB
        )
fi

cat >&3 <<SECTION
## Real stack: systemd $RS_SYSTEMD_VERSION as PID 1 (systemd-nspawn)

Debian 12's systemd booted as PID 1 in systemd-nspawn with real logind, dbus-daemon, journald
and sshd, loginguard installed with \`make install DESTDIR=\` and guardd.service running
(\`bench/realstack.sh\`, part of \`make bench\`; \`BENCH_RS_PAIRS=$NP BENCH_RS_SSH=$NSSH\`).

### Healthy overhead, real logind (goal: ratio <= 1.03)

pam_start..pam_end of the PAM driver, one login per process (stock loads pam_systemd in
pam_start, the wrapper inside open_session: timing open+close alone would misattribute the
dlopen), $NP pairs in alternating order, user root. guardd.service watched the wrapped
calls' deadlines (status WATCHDOG=$watchdog, WATCH_CALLS=$watch_calls after the pairs).

| stack | median | p99 |
| --- | --- | --- |
| stock pam_systemd | $(us2ms "$s_med") ms | $(us2ms "$s_p99") ms |
| pam_loginguard wrap=pam_systemd | $(us2ms "$w_med") ms | $(us2ms "$w_p99") ms |
| ratio (median) | **$(awk -v a="$w_med" -v b="$s_med" 'BEGIN {printf "%.3f", a/b}')** | |
| paired difference, mean with 95% CI | $(us2ms "$d_mean") ± $(us2ms "$d_ci") ms | |
| ratio of means (1 + difference / stock mean of $(us2ms "$s_mean") ms) | **$ratio_ci** | |

The same pairs by a loop inside the container (\`bench/realstack.sh\`'s loop.sh, run by the
container's own shell: no nsenter between logins; \`BENCH_RS_LOOP=$NL\`), guardd watching
($loop_calls calls handed to it), and beside it the fallback: guardd.service stopped, each
wrapped call watched by the module's own thread ($NT pairs):

| | stock median | wrapped median | paired difference, mean with 95% CI | ratio of means |
| --- | --- | --- | --- | --- |
| guardd watching | $(us2ms "$l_s_med") ms | $(us2ms "$l_w_med") ms | $(us2ms "$l_d_mean") ± $(us2ms "$l_d_ci") ms | **$loop_ratio** |
| thread fallback (guardd stopped) | $(us2ms "$t_s_med") ms | $(us2ms "$t_w_med") ms | $(us2ms "$t_d_mean") ± $(us2ms "$t_d_ci") ms | $thread_ratio |

Whole ssh logins (\`ssh lguser@127.0.0.1 true\` into the container's sshd, common-session
switched with loginguard-pam between logins), $NSSH pairs:

| stack | median |
| --- | --- |
| stock | $(us2ms "$ss_med") ms |
| wrapped | $(us2ms "$sw_med") ms |
| paired difference, mean with 95% CI | $(us2ms "$sd_mean") ± $(us2ms "$sd_ci") ms |
$waits
SECTION
exit 0 # measurements, not checks (lg_done fails without any); the EXIT trap tears down
