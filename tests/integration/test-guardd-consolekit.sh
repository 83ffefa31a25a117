#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Incident 2: ConsoleKit probed like logind (a double owning
# org.freedesktop.ConsoleKit): ok, then stuck when frozen, with
# CONSOLEKIT_ACTION=skip; the module wrapping pam_ck_connector (here a
# stand-in target, service=consolekit) skips on that word. Also the mount
# table churn of incident 3 (mounts in a private namespace).
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
lg_start_bus
lg_start_logind
"$B/tests/logind-double" --name org.freedesktop.ConsoleKit --ready "$LG_TMP/ck.ready" \
        --log "$LG_TMP/ck.log" --runtime-dir "$LG_TMP/sessions" >>"$LG_TMP/ck.out" 2>&1 &
CK_PID=$!
lg_track "$CK_PID"
lg_wait_for "$LG_TMP/ck.ready" 5
LG_INTERVAL_MS=200 LG_PROBE_TIMEOUT_MS=200
# The churn happens in this test's mount namespace, not PID 1's.
lg_guardd_conf mountinfo_path=/proc/self/mountinfo
lg_start_guardd
lg_check "CONSOLEKIT=ok" lg_wait_status CONSOLEKIT ok 5
lg_assert_eq "$(lg_status_key CONSOLEKIT_PID)" "$CK_PID" "CONSOLEKIT_PID found"
lg_assert_eq "$(lg_status_key CONSOLEKIT_ACTION)" allow "CONSOLEKIT_ACTION=allow"
lg_freeze "$CK_PID"
lg_check "frozen ConsoleKit: CONSOLEKIT=stuck" lg_wait_status CONSOLEKIT stuck 5
lg_assert_eq "$(lg_status_key CONSOLEKIT_ACTION)" skip "frozen ConsoleKit: CONSOLEKIT_ACTION=skip"
lg_assert_eq "$(lg_status_key LOGIN1_ACTION)" allow "logind unaffected: LOGIN1_ACTION=allow"
lg_assert_match "$(lg_status_key SUMMARY)" "^console-kit-daemon not answering for .*pid $CK_PID" "SUMMARY names ConsoleKit"

# The module: a wrapped pam_ck_connector follows CONSOLEKIT_ACTION.
mkdir -p "$LG_TMP/mods"
cp /lib/*/security/pam_permit.so "$LG_TMP/mods/pam_ck_connector.so" 2>/dev/null ||
        cp /usr/lib/*/security/pam_permit.so "$LG_TMP/mods/pam_ck_connector.so"
: >"$LG_TMP/empty.conf"
lg_service ck "$(lg_module_line optional "conf=$LG_TMP/empty.conf state_dir=$LG_TMP/state status=$GUARDD_STATUS" wrap="$LG_TMP/mods/pam_ck_connector.so")"
out=$(lg_driver ck)
lg_assert_match "$out" '^env\.LOGINGUARD_FALLBACK=status$' "wrapped pam_ck_connector skipped on CONSOLEKIT_ACTION=skip"
lg_assert_match "$out" 'guardd reports CONSOLEKIT stuck' "the message names ConsoleKit"
lg_thaw "$CK_PID"
lg_check "thawed: CONSOLEKIT_ACTION=allow again" lg_wait_status CONSOLEKIT_ACTION allow 5
out=$(lg_driver ck)
lg_assert_nomatch "$out" 'LOGINGUARD_FALLBACK' "allowed again: pam_ck_connector called"

# Mount churn: 40 mounts and unmounts in this namespace.
m0=$(lg_status_key MOUNTS)
mkdir -p "$LG_TMP/mnt"
for i in $(seq 1 20); do mount -t tmpfs tmpfs "$LG_TMP/mnt" && umount "$LG_TMP/mnt"; sleep 0.05; done &
churn=$!
seen=0
for _ in $(seq 1 300); do # until guardd has seen it, however slow the machine
        c=$(lg_status_key MOUNT_CHANGES_PER_S)
        [ "${c:-0}" -gt 0 ] && seen=$c && break
        sleep 0.05
done
wait "$churn"
lg_assert_ge "$seen" 1 "mount churn seen: MOUNT_CHANGES_PER_S > 0"
lg_assert_match "$m0" '^[0-9]+$' "MOUNTS counted"
lg_done
