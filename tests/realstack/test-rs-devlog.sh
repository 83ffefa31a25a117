#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Incident 5 for real: the container's journald is the /dev/log reader and
# it stops reading (SIGSTOP from the host). Writers pile up in
# unix_wait_for_peer, sshd among them. guardd.service, hardened as shipped,
# with devlog_remedy=drain (resume would simply continue journald): a real
# ssh login still completes; a user's forged "sshd" line and every other
# drained message reach the journal exactly once after journald continues,
# each with its writer's uid (_UID), never as root's.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
. "$LG_ROOT/tests/lib/realstack.sh"
rs_up bookworm
printf 'devlog_remedy = drain\ndevlog_stuck_ms = 1000\n' >>"$RS_ROOT/etc/loginguard/loginguard.conf"
rs_exec systemctl daemon-reload
rs_exec systemctl enable --now guardd.service >/dev/null 2>&1
lg_check "guardd: /dev/log ok, journald its reader" rs_wait_status DEVLOG ok 10
lg_assert_eq "$(rs_status_key DEVLOG_READER_COMM)" systemd-journal "the reader is journald"
rs_ssh root 'echo "ID=${XDG_SESSION_ID:-}"'
base=$MS # a healthy ssh login: the baseline of the bound below
# More writers than the reader's queue holds (systemd sets
# net.unix.max_dgram_qlen to 512): without the drain they would block.
N=$(($(rs_exec cat /proc/sys/net/unix/max_dgram_qlen) + 150))
tag=lg$$

rs_freeze_unit systemd-journald
lg_check "journald stopped: DEVLOG=stuck" rs_wait_status DEVLOG stuck 10
# Writers that would block in syslog() without the drain.
rs_run sh -c "for i in \$(seq 1 $N); do logger -t $tag \"msg-\$i\" & done; wait" >"$LG_TMP/writers.out" 2>&1 &
writers=$!
# A user forges root's line.
rs_run setpriv --reuid=1000 --regid=1000 --clear-groups logger -t sshd \
        "Accepted publickey for root from 10.9.9.9 ($tag forged)" >/dev/null 2>&1 &
forger=$!
RS_SSH_CAP=30 rs_ssh root 'echo "ID=${XDG_SESSION_ID:-}"; logger -t '"$tag"' from-the-session'
lg_assert_match "$OUT" '^ID=[0-9c]+' "journald stopped: a real ssh login completes (sshd's own syslog lines drained)"
# sshd's syslog() blocks until the drain (devlog_stuck_ms 1 s, then a
# round) takes the queue; 12 s leaves room for several rounds of it.
lg_assert_within "$MS" 12000 "$base" "journald stopped: the ssh login did not hang (ms)"
wait "$writers"
wait "$forger"
lg_check "the writers all finished while journald is stopped" true
lg_check "the drain took the queued messages into the spool" rs_wait_status_ge DEVLOG_SPOOLED 100 5
lg_log "remedy: $(rs_status_key DEVLOG_REMEDY_RESULT)"
lg_assert_eq "$(rs_status_key DEVLOG_LOST)" 0 "nothing lost"

rs_thaw
lg_check "journald continues: the spool is replayed" rs_wait_status DEVLOG_SPOOL_PENDING_BYTES 0 30
lg_check "and /dev/log is ok" rs_wait_status DEVLOG ok 15
rs_exec journalctl --sync >/dev/null 2>&1
j=$(rs_exec journalctl -q --no-pager -o json -t "$tag" -t sshd --since "-10min")
printf '%s\n' "$j" >"$LG_TMP/journal.json"
# One pass over the journal: how often each message arrived.
python3 -c '
import collections, json, sys
n = collections.Counter()
for line in open(sys.argv[1]):
    n[json.loads(line).get("MESSAGE")] += 1
for m, c in n.items():
    if isinstance(m, str):
        print(c, m)' "$LG_TMP/journal.json" >"$LG_TMP/journal.counts"
count() { awk -v m="$1" '{ c = $1; sub(/^[0-9]+ /, "") } $0 == m { print c; f = 1 } END { if (!f) print 0 }' "$LG_TMP/journal.counts"; }
missing=0 twice=0
for ((i = 1; i <= N; i++)); do
        c=$(count "msg-$i")
        [ "$c" = 0 ] && missing=$((missing + 1))
        [ "$c" -gt 1 ] && twice=$((twice + 1))
done
lg_assert_eq "$missing" 0 "every drained message is in the journal"
lg_assert_eq "$twice" 0 "none of them twice"
lg_assert_eq "$(count from-the-session)" 1 "the session's own message once"
uid=$(python3 -c "
import json
for line in open('$LG_TMP/journal.json'):
    e = json.loads(line)
    if 'forged' in e.get('MESSAGE', ''):
        print(e.get('_UID'))" | sort -u)
lg_assert_eq "$uid" 1000 "the forged sshd line carries the user's _UID, not root's"
uids=$(python3 -c "
import json
for line in open('$LG_TMP/journal.json'):
    e = json.loads(line)
    if e.get('MESSAGE', '').startswith('msg-'):
        print(e.get('_UID'))" | sort -u | tr '\n' ' ')
lg_assert_eq "$uids" "0 " "the root writers' messages carry _UID=0"
rs_settle 2
rs_assert_clean "after incident 5" 0
lg_done
