#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Upgrade and downgrade on the real Debian 12 stack while logins run: the
# packages of the previous release (0.2.0, built from its commit) with the
# loginguard profile selected and guardd.service running; five loops of
# PAM logins (pam-driver through common-session, cron-style) and one of
# real ssh logins with logind healthy (8 a second here: each waits for PID
# 1 to make its scope, which is what a 2-core machine allows); then dpkg
# -i of this build (upgrade) and of 0.2.0 again (downgrade), logins
# starting while each runs. No login
# fails, none waits longer than the deadline, every one is registered
# with logind (nothing in /run/loginguard misread into a skip), guardd is
# restarted once by each, and nothing the module logs is an error.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
command -v dpkg-buildpackage >/dev/null || lg_skip "dpkg-buildpackage missing (package dpkg-dev)"
git -C "$LG_ROOT" rev-parse HEAD >/dev/null 2>&1 || lg_skip "not a git checkout (make deb packs the tracked files)"
. "$LG_ROOT/tests/lib/realstack.sh"
rs_make_debs "$LG_TMP/new" ""
lg_assert_eq "$?" 0 "make deb of this tree"
rs_make_debs "$LG_TMP/old" "$RS_PREV_RELEASE"
lg_assert_eq "$?" 0 "make deb of 0.2.0 ($RS_PREV_RELEASE)"

rs_boot bookworm
for v in old new; do
        mkdir -p "$(rs_path /root/$v)"
        cp "$LG_TMP/$v"/build-deb/loginguard-guardd_*_*.deb "$(rs_path /root/$v)/1-guardd.deb"
        cp "$LG_TMP/$v"/build-deb/libpam-loginguard_*_*.deb "$(rs_path /root/$v)/2-libpam.deb"
done
mkdir -p "$RS_ROOT$RS_TOOLS"
cp "$B/tests/pam-driver" "$RS_ROOT$RS_TOOLS/"
printf 'auth required pam_permit.so\naccount required pam_permit.so\n@include common-session\n' >"$(rs_path /etc/pam.d/lgloop)"

# dpkg -i VERSION: loginguard-pam moved from libpam-loginguard (0.2.0) to
# loginguard-guardd (0.3.0), so the package losing it goes first: on an
# upgrade libpam-loginguard, on a downgrade loginguard-guardd. (The other
# order makes dpkg deconfigure the old libpam-loginguard for the new
# loginguard-guardd's Breaks, and 0.2.0's prerm turned loginguard off on
# deconfigure.)
dpkg_i() {
        local order="/root/$1/2-libpam.deb /root/$1/1-guardd.deb" rc
        [ "$1" = old ] && order="/root/$1/1-guardd.deb /root/$1/2-libpam.deb"
        rs_exec sh -c "dpkg -i $order" >"$LG_TMP/dpkg-$1.log" 2>&1
        rc=$?
        [ "$rc" = 0 ] || sed 's/^/#   dpkg: /' "$LG_TMP/dpkg-$1.log" | tail -n 15
        return $rc
}
invocation() { rs_exec systemctl show -p InvocationID --value guardd.service; }
starts_since() { rs_exec journalctl -q --no-pager -u guardd.service --since "@$1" -g '^Started ' | wc -l; }

dpkg_i old
lg_assert_eq "$?" 0 "0.2.0 installed"
rs_exec pam-auth-update --disable systemd --enable loginguard >/dev/null 2>&1
lg_check "loginguard's profile selected" grep -q 'pam_loginguard.so wrap=pam_systemd.so' "$(rs_path /etc/pam.d/common-session)"
lg_check "guardd.service (0.2.0) watches" rs_wait_status WATCHDOG guardd 30

# The loops: one line a login, "start_ms duration_ms rc open close id fallback".
cat >"$(rs_path /root/loop.sh)" <<LOOP
#!/bin/bash
n=\$1 kind=\$2
while [ ! -e /run/lg-stop ]; do
        t0=\$(date +%s%3N)
        if [ "\$kind" = ssh ]; then
                out=\$(timeout -s KILL 60 ssh lguser@127.0.0.1 'echo "open_rc=PAM_SUCCESS"; echo "close_rc=PAM_SUCCESS"; echo "env.XDG_SESSION_ID=\${XDG_SESSION_ID:--}"; echo "env.LOGINGUARD_FALLBACK=\${LOGINGUARD_FALLBACK:--}"' 2>&1)
        else
                out=\$(timeout -s KILL 60 $RS_TOOLS/pam-driver --confdir /etc/pam.d --service lgloop --user lguser --ops open,close 2>&1)
        fi
        rc=\$?
        t1=\$(date +%s%3N)
        v() { sed -n "s/^\$1=//p" <<<"\$out" | head -n 1; }
        echo "\$t0 \$((t1 - t0)) \$rc \$(v open_rc) \$(v close_rc) \$(v env.XDG_SESSION_ID) \$(v env.LOGINGUARD_FALLBACK)" >>/root/loop-\$n.log
        sleep 0.05
done
LOOP
chmod +x "$(rs_path /root/loop.sh)"
rm -f "$(rs_path /run/lg-stop)"
t_start=$(date +%s)
for l in "1 pam" "2 pam" "3 pam" "4 pam" "5 pam" "6 ssh"; do
        # shellcheck disable=SC2086
        rs_exec /root/loop.sh $l &
        lg_track $!
done
sleep 8

inv0=$(invocation)
t_up=$(date +%s)
u0=$(date +%s%3N)
dpkg_i new
lg_assert_eq "$?" 0 "upgrade to this build while logins run (dpkg -i)"
u1=$(date +%s%3N)
sleep 8
inv1=$(invocation)
lg_check "upgrade: guardd restarted (a new invocation)" test "$inv1" != "$inv0"
lg_assert_eq "$(starts_since "$t_up")" 1 "upgrade: guardd started once"
lg_check "upgrade: the new guardd watches" rs_wait_status WATCHDOG guardd 30
lg_assert_match "$(rs_exec guardd --version)" '^guardd \(loginguard\) 0\.3\.' "upgrade: guardd is this release's"

t_down=$(date +%s)
d0=$(date +%s%3N)
dpkg_i old
rc=$?
d1=$(date +%s%3N)
lg_assert_eq "$rc" 0 "downgrade to 0.2.0 while logins run (dpkg -i)"
[ "$rc" = 0 ] || sed 's/^/#   /' "$LG_TMP/dpkg-old.log"
sleep 8
lg_check "downgrade: guardd restarted (a new invocation)" test "$(invocation)" != "$inv1"
lg_assert_eq "$(starts_since "$t_down")" 1 "downgrade: guardd started once"
lg_assert_match "$(rs_exec guardd --version)" '^guardd \(loginguard\) 0\.2\.0' "downgrade: guardd is 0.2.0's"
lg_check "downgrade: loginguard still selected" grep -q 'pam_loginguard.so wrap=pam_systemd.so' "$(rs_path /etc/pam.d/common-session)"
touch "$(rs_path /run/lg-stop)"
sleep 3
t_end=$(date +%s)

cat "$(rs_path /root)"/loop-*.log >"$LG_TMP/loop.log"
total=$(wc -l <"$LG_TMP/loop.log")
bad=$(awk '$3 != 0 || $4 != "PAM_SUCCESS" || $5 != "PAM_SUCCESS"' "$LG_TMP/loop.log")
unreg=$(awk '$6 == "-" || $6 == "" || ($7 != "-" && $7 != "")' "$LG_TMP/loop.log")
worst=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$LG_TMP/loop.log")
base=$(awk -v t="$((t_up * 1000))" '$1 < t && $2 > m { m = $2 } END { print m + 0 }' "$LG_TMP/loop.log")
rate=$(awk -v n="$total" -v s="$((t_end - t_start))" 'BEGIN { printf "%.1f", n / s }')
lg_log "$total logins in $((t_end - t_start)) s ($rate/s): slowest $worst ms, slowest before the upgrade $base ms"
during() { awk -v a="$1" -v b="$2" '$1 >= a && $1 <= b' "$LG_TMP/loop.log" | wc -l; }
lg_log "logins started during the upgrade's dpkg -i ($((u1 - u0)) ms): $(during "$u0" "$u1"); during the downgrade's ($((d1 - d0)) ms): $(during "$d0" "$d1")"
lg_check "logins started while the upgrade ran" test "$(during "$u0" "$u1")" -ge 3
lg_check "logins started while the downgrade ran" test "$(during "$d0" "$d1")" -ge 3
lg_assert_eq "$bad" "" "no login failed"
lg_assert_eq "$unreg" "" "every login registered with logind, none fell back"
lg_assert_within "$worst" 2000 "$base" "none waited longer than the deadline (2000 ms; ms)"
errs=$(rs_exec journalctl -q --no-pager -p err --since "@$t_start" -g 'pam_loginguard')
lg_assert_eq "$errs" "" "the module logged no error across both"
rs_settle 3
rs_assert_clean "after the upgrade and the downgrade" 0
lg_done
