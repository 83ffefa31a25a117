#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Issue 24's findings, each replayed by a local user (uid 65534) through the
# real setuid su, which runs the module as root on their behalf and whose
# timing and inheritance they control. logind answers CreateSession after
# 4 s (everything else at once), so every call outlives its 1 s deadline and
# guardd must cut it; guardd's own probes see a healthy logind (allow).
#   1. su's stopped between claiming a slot and arming it (caught by
#      stopping and continuing them until they are), and more at random
#      points, for longer than guardd's old 10 s give-up, then continued
#      while a root login is in its call: the root login is cut at its
#      deadline, every su ends, no slot stays in use.
#   2. Ten su's, each inheriting 18,000 descriptors above a soft limit of
#      1024 (raised, filled, lowered, exec'd), stopped once armed: guardd's
#      CPU stays low, its heartbeat as fresh as before the attack, its
#      verdict allow, and a root login is still cut by guardd at its deadline.
#   3, 4. guardd never reads another process's memory: its binary does not
#      import process_vm_readv, process_vm_writev or ptrace, and the unit
#      denies them. (So a FUSE- or userfaultfd-backed page in a user's su
#      cannot block it; a mounted-FUSE replay is not part of this test.)
#   5. The table is not the user's to read.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
[ -u /usr/bin/su ] || lg_skip "/usr/bin/su is not setuid here"
command -v setpriv >/dev/null || lg_skip "setpriv(1) missing"
[ -x /usr/bin/python3 ] || lg_skip "/usr/bin/python3 missing"
[ -z "${SANITIZE:-}" ] || lg_skip "setuid su cannot load an ASan-built module"
E2E_DEADLINE_MS=1000 LG_LOGIND_ARGS="--reply-after-ms 4000" lg_e2e_setup
cd /
table=/run/loginguard/watch
watch() { "$B/tests/status-tool" watch "$table"; }
lg_service rootlogin "$(sed -n '/pam_loginguard/p' /etc/pam.d/common-session)" "session required pam_permit.so"
cuts() { grep -c 'cut [0-9]* connection' "$LG_TMP/guardd.log"; }
armed() { watch | grep -q "state=armed pid=$1 user=1"; }
# Run with & : exec keeps the pid $! names the su's (env, setpriv, python
# and su exec each other), so a signal to $! reaches su itself.
as_user() { exec env -u DBUS_SYSTEM_BUS_ADDRESS setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# A root login now, logind answering after 4 s: cut at its deadline, by guardd.
out=$(lg_driver rootlogin --ops open)
# How long such a cut takes in this run: the bound of the cuts below.
cut_ms=$(($(lg_kv "$out" open_usec) / 1000))
LG_SLACK_MIN_MS=500
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" deadline "before any attack: a root login is cut at its deadline"
rm -f /run/loginguard/breaker-*

# --- 1. su's stopped between claim and arm
#     The user's race: stop their su, look, continue it, until it is caught
#     with its slot claimed and not yet armed (status-tool watch-catch does
#     the looking, which needs root: the table is 0600). Then more su's
#     stopped at random points of their login.
#     One try in about fifteen catches it; up to 150 tries, ~60 ms each.
SUS="" caught=0
for _ in $(seq 1 150); do
        as_user /usr/bin/su root -c true >/dev/null 2>&1 &
        p=$!
        SUS="$SUS $p"
        lg_track "$p"
        "$B/tests/status-tool" watch-catch "$table" "$p" >/dev/null && caught=$((caught + 1))
        [ "$caught" -ge 3 ] && break
done
for _ in $(seq 1 10); do
        as_user /usr/bin/su root -c true >/dev/null 2>&1 &
        p=$!
        sleep "0.0$((RANDOM % 10))"
        kill -STOP "$p" 2>/dev/null
        SUS="$SUS $p"
        lg_track "$p"
done
nsus=$(wc -w <<<"$SUS")
lg_log "1: $nsus su's, $caught caught between claim and arm, the others continued or stopped anywhere"
lg_assert_ge "$caught" 1 "1: a su stopped between claiming its slot and arming it"
lg_assert_ge "$(watch | grep -c 'state=claimed .*user=1')" "$caught" "1: its slot stays claimed"
sleep 12 # longer than guardd's old give-up on a claimed slot (10 s)
lg_assert_ge "$(watch | grep -c 'state=claimed .*user=1')" "$caught" "1: after 12 s the stopped claimers still hold their own slots"
cuts0=$(cuts)
lg_driver rootlogin --ops open >"$LG_TMP/root1.out" &
root=$!
sleep 0.3 # the root login is in its call
# shellcheck disable=SC2086
kill -CONT $SUS 2>/dev/null
wait "$root"
out=$(cat "$LG_TMP/root1.out")
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" deadline "1: root's login, su's continued during its call: cut at its deadline"
lg_assert_within "$(($(lg_kv "$out" open_usec) / 1000))" "$cut_ms" 0 "1: as soon as the same cut before the attack (ms)"
lg_assert_ge "$(cuts)" "$((cuts0 + 1))" "1: by guardd"
ok=0
for p in $SUS; do wait "$p" && ok=$((ok + 1)); done
lg_assert_eq "$ok" "$nsus" "1: every su logged in (its own call cut at the deadline)"
no_slot() { ! watch | grep -q '^slot='; }
lg_check "1: no slot left in use" lg_until 15 no_slot
rm -f /run/loginguard/breaker-*

# --- 2. descriptors above the limit, inherited through su
stuffed_su() {
        as_user /usr/bin/python3 -c '
import os, resource
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
fd = os.open("/dev/null", os.O_RDONLY)
for i in range(min(18000, hard - 1200)):
    os.dup2(fd, 1100 + i)
resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
os.execv("/usr/bin/su", ["su", "root", "-c", "true"])' >/dev/null 2>&1 &
        STUFFED="$STUFFED $!"
        lg_track "$!"
}
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$GUARDD_PID/stat"; }
stale_in_5s() { # heartbeat older than 300 ms, of 50 samples
        local n=0
        for _ in $(seq 1 50); do
                watch | grep -q '^FRESH=1' || n=$((n + 1))
                sleep 0.1
        done
        echo "$n"
}
stale0=$(stale_in_5s)
STUFFED=""
for _ in $(seq 1 10); do stuffed_su; done
held=0
for p in $STUFFED; do
        if lg_until 30 armed "$p"; then kill -STOP "$p" && held=$((held + 1)); fi
done
nfd=$(ls "/proc/${STUFFED##* }/fd" 2>/dev/null | wc -l)
lg_log "2: $held su's stopped while armed, the last with $nfd descriptors"
lg_assert_ge "$held" 5 "2: su's stopped in their watched call"
lg_assert_ge "$nfd" 10000 "2: each holding thousands of descriptors above its limit"
c0=$(cpu_ms)
stale=$(stale_in_5s)
c1=$(cpu_ms)
lg_log "2: guardd CPU $((c1 - c0)) ms in 5 s; heartbeat stale in $stale of 50 samples (before the attack: $stale0)"
lg_check "2: guardd's CPU in those 5 s stays under 1 s (unbounded reads took seconds)" test "$((c1 - c0))" -le 1000
lg_check "2: its heartbeat as fresh as before the attack (at most 5 more stale samples of 50)" test "$stale" -le "$((stale0 + 5))"
lg_assert_eq "$(lg_status_key LOGIN1_ACTION)" allow "2: its verdict stays allow"
cuts0=$(cuts)
out=$(lg_driver rootlogin --ops open)
lg_assert_eq "$(lg_kv "$out" env.LOGINGUARD_FALLBACK)" deadline "2: a root login meanwhile is cut at its deadline"
lg_assert_ge "$(cuts)" "$((cuts0 + 1))" "2: by guardd"
# shellcheck disable=SC2086
kill -KILL $STUFFED 2>/dev/null
for p in $STUFFED; do wait "$p" 2>/dev/null; done
lg_check "2: their slots are freed once they are gone" lg_until 15 no_slot
rm -f /run/loginguard/breaker-*

# --- 3, 4. nobody's memory
lg_assert_eq "$(nm -D --undefined-only "$B/guardd" | grep -Ec '\b(process_vm_readv|process_vm_writev|ptrace)\b')" 0 \
        "3, 4: guardd imports no call that reads or writes another process's memory"
lg_assert_match "$(grep '^SystemCallFilter=~' "$LG_ROOT/conf/guardd.service")" 'ptrace .*process_vm_readv process_vm_writev' \
        "3, 4: and guardd.service denies them"

# --- 5. the table is guardd's and the logins' only
lg_assert_eq "$(stat -c %a "$table")" 600 "5: the watch table is 0600"
lg_check "5: uid 65534 cannot read it" sh -c "! setpriv --reuid=65534 --regid=65534 --clear-groups cat $table >/dev/null 2>&1"
lg_done
