#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# guardd watches the host's real /dev/log whoever owns it: on the real
# Debian 12 stack, rsyslogd (Debian's package) owns /dev/log itself
# (imuxsock, journald's /dev/log socket off), guardd.service runs hardened
# as shipped. Under PrivateDevices=yes guardd saw systemd's private /dev,
# where /dev/log points at journald's socket: the wrong reader, or none.
# rsyslogd drops to an unprivileged uid once /dev/log is bound (as
# Ubuntu's runs as syslog), so guardd must see and act on another uid's
# process through its own hidepid=invisible /proc (ProtectProc=).
# Now: the reader is named rsyslogd; stopped, it is seen stuck and
# drained (the writers finish); continued, every drained line reaches
# rsyslog's file exactly once, each with its writer's uid (rsyslog's
# trusted properties from SCM_CREDENTIALS), never root's.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
. "$LG_ROOT/tests/lib/realstack.sh"

# Debian 12's rsyslog and the libraries the image lacks, fetched once
# (apt-get download on this Debian 12 host) and cached beside the images.
DEBS=$RS_CACHE/debs-bookworm
PKGS="rsyslog libestr0 libfastjson4 liblognorm5"
have_debs() { local p; for p in $PKGS; do ls "$DEBS/${p}_"*.deb >/dev/null 2>&1 || return 1; done; }
if ! have_debs; then
        mkdir -p "$DEBS"
        # shellcheck disable=SC2086
        (cd "$DEBS" && apt-get download $PKGS) >"$LG_TMP/download.log" 2>&1 ||
                { cat "$LG_TMP/download.log"; lg_fail "apt-get download $PKGS"; lg_done; }
fi

rs_up bookworm
mkdir -p "$(rs_path /root/rsyslog)"
for p in $PKGS; do cp "$DEBS/${p}_"*.deb "$(rs_path /root/rsyslog)/"; done
rs_exec sh -c 'dpkg -i /root/rsyslog/*.deb' >"$LG_TMP/dpkg.log" 2>&1
lg_assert_eq "$?" 0 "rsyslog installed (dpkg -i)"
# rsyslogd owns /dev/log: journald's socket for it off, rsyslogd's own
# imuxsock bound there, with the writer's credentials kept per line.
rs_exec systemctl disable --now rsyslog.service syslog.socket >/dev/null 2>&1
rs_exec systemctl mask --now systemd-journald-dev-log.socket >/dev/null 2>&1
rs_exec rm -f /dev/log
# The reader's uid: no account, only a number (rsyslog takes the id).
READER_UID=4242
rs_exec install -o "$READER_UID" -g "$READER_UID" -m 0644 /dev/null /var/log/lg.log
cat >"$(rs_path /etc/lg-rsyslog.conf)" <<CONF
global(privDrop.user.id="$READER_UID" privDrop.group.id="$READER_UID")
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.Annotate="on" SysSock.ParseTrusted="on"
       SysSock.RateLimit.Interval="0")
template(name="lg" type="string" string="%syslogtag% uid=%\$!uid% msg=%msg:2:\$%\n")
*.* action(type="omfile" file="/var/log/lg.log" template="lg")
CONF
rs_exec systemd-run --unit=lg-rsyslog -p Type=simple /usr/sbin/rsyslogd -n -iNONE -f /etc/lg-rsyslog.conf >/dev/null 2>&1
devlog_socket() { rs_exec test -S /dev/log; }
lg_until 20 devlog_socket || { lg_fail "rsyslogd made /dev/log"; lg_done; }
printf 'devlog_remedy = drain\ndevlog_stuck_ms = 1000\n' >>"$RS_ROOT/etc/loginguard/loginguard.conf"
rs_exec systemctl daemon-reload
rs_exec systemctl enable --now guardd.service >/dev/null 2>&1
lg_check "guardd: /dev/log ok" rs_wait_status DEVLOG ok 10
lg_assert_eq "$(rs_status_key DEVLOG_READER_COMM)" rsyslogd "the reader guardd names is rsyslogd, not journald"
reader=$(rs_status_key DEVLOG_READER_PID)
lg_assert_eq "$(rs_exec stat -c %u "/proc/$reader")" "$READER_UID" "the reader runs as uid $READER_UID, not root"
gpid=$(rs_exec systemctl show -P MainPID guardd.service)
lg_assert_match "$(rs_exec awk '$5 == "/proc" {print $NF}' "/proc/$gpid/mountinfo")" 'hidepid=invisible' \
        "guardd's /proc is its own, hidepid=invisible (ProtectProc=)"
tag=lg$$
rs_exec logger -t "$tag" healthy
healthy() { grep -q "^$tag: uid=0 msg=healthy$" "$(rs_path /var/log/lg.log)"; }
lg_until 10 healthy || lg_fail "rsyslogd writes what /dev/log gets (uid kept)"

N=$(($(rs_exec cat /proc/sys/net/unix/max_dgram_qlen) + 150))
rs_freeze_unit lg-rsyslog
lg_check "rsyslogd stopped: DEVLOG=stuck" rs_wait_status DEVLOG stuck 10
lg_assert_match "$(rs_status_key SUMMARY)" 'rsyslogd' "the summary names rsyslogd"
rs_run sh -c "for i in \$(seq 1 $N); do logger -t $tag \"msg-\$i\" & done; wait" >"$LG_TMP/writers.out" 2>&1 &
writers=$!
rs_run setpriv --reuid=1000 --regid=1000 --clear-groups logger -t "$tag" "forged-by-user" >/dev/null 2>&1 &
forger=$!
done_in() { ! kill -0 "$writers" 2>/dev/null && ! kill -0 "$forger" 2>/dev/null; }
lg_until 60 done_in || lg_fail "the $N writers and the user's finish while rsyslogd is stopped (drained)"
lg_check "the drain took the queued lines into the spool" rs_wait_status_ge DEVLOG_SPOOLED 100 5
lg_log "remedy: $(rs_status_key DEVLOG_REMEDY_RESULT)"
lg_assert_eq "$(rs_status_key DEVLOG_LOST)" 0 "nothing lost"

rs_thaw
lg_check "rsyslogd continues: the spool is replayed" rs_wait_status DEVLOG_SPOOL_PENDING_BYTES 0 30
lg_check "and /dev/log is ok" rs_wait_status DEVLOG ok 15
all_there() { [ "$(grep -c "^$tag: uid=0 msg=msg-" "$(rs_path /var/log/lg.log)")" -ge "$N" ]; }
lg_until 30 all_there
log=$(grep "^$tag: " "$(rs_path /var/log/lg.log)")
missing=0 twice=0
for ((i = 1; i <= N; i++)); do
        c=$(grep -c "msg=msg-$i\$" <<<"$log")
        [ "$c" = 0 ] && missing=$((missing + 1))
        [ "$c" -gt 1 ] && twice=$((twice + 1))
done
lg_assert_eq "$missing" 0 "every drained line is in rsyslog's file"
lg_assert_eq "$twice" 0 "none of them twice"
lg_assert_eq "$(grep 'msg=msg-' <<<"$log" | sed 's/.* uid=\([0-9]*\) .*/\1/' | sort -u | tr '\n' ' ')" "0 " "root's lines carry uid 0"
lg_assert_eq "$(grep 'msg=forged-by-user$' <<<"$log")" "$tag: uid=1000 msg=forged-by-user" "the user's line once, with the user's uid, not root's"
rs_settle 2
rs_assert_clean "after rsyslogd's stop" 0
lg_done
