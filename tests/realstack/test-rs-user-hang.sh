#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# One user's stuck login never changes another user's (issue 23), on the
# real stack: systemd 252 as PID 1, guardd.service running, sshd's stack
# wrapped. The shape of systemd issue 27024: lguser's user@1000.service
# never finishes starting (ExecStartPre=/bin/sleep infinity,
# TimeoutStartSec=infinity); logind, dbus-daemon and PID 1 are healthy.
#   (a) lguser's ssh logins: logind takes them and waits on user@1000;
#       cut after patience twice, then skipped at once by lguser's own
#       breaker (LOGINGUARD_FALLBACK=user). lgbob's logins are registered
#       throughout, as with stock pam_systemd; the host's breaker stays
#       closed; guardd names lguser's job (status, Nagios, JSON,
#       Prometheus) and counts the open per-user breaker.
#   (b) lgcarol's and lgdave's user managers hang too: the third user's
#       stuck call within the window is host-wide evidence; the host's
#       breaker opens, and says why in the journal.
# After the hang is lifted (the start jobs cancelled), nothing is left
# behind.
. "$(dirname "$0")/../lib/harness.sh"
lg_enter_namespace "$@"
lg_setup
. "$LG_ROOT/tests/lib/realstack.sh"
rs_up bookworm
PATIENCE=5000
cat >>"$RS_ROOT/etc/loginguard/loginguard.conf" <<CONF
patience = $PATIENCE
window = 600
cooldown = 600
user_job_warn_ms = 2000
CONF
rs_pam_service stock "session optional pam_systemd.so" "session required pam_permit.so"
for u in 1001:lgbob 1002:lgcarol 1003:lgdave; do
        uid=${u%%:*} name=${u#*:}
        rs_exec useradd -m -u "$uid" -s /bin/bash "$name"
        install -d -m 700 -o "$uid" -g "$uid" "$RS_ROOT/home/$name/.ssh"
        install -m 600 -o "$uid" -g "$uid" "$RS_ROOT/root/.ssh/id_ed25519.pub" \
                "$RS_ROOT/home/$name/.ssh/authorized_keys"
done
hang() { # UID: that user's user manager never finishes starting
        mkdir -p "$RS_ROOT/etc/systemd/system/user@$1.service.d"
        printf '[Service]\nExecStartPre=/bin/sleep infinity\nTimeoutStartSec=infinity\n' \
                >"$RS_ROOT/etc/systemd/system/user@$1.service.d/hang.conf"
}
hang 1000
rs_exec systemctl daemon-reload
rs_exec systemctl enable --now guardd.service >/dev/null 2>&1
lg_check "guardd: allow" rs_wait_status LOGIN1_ACTION allow 30
SHOW='echo "ID=${XDG_SESSION_ID:-} FB=${LOGINGUARD_FALLBACK:-}"'
login() { RS_SSH_CAP=120 rs_ssh "$1" "$SHOW"; }

# Baselines: a healthy wrapped ssh login, and lgbob with stock pam_systemd.
login lgbob
lg_assert_match "$OUT" '^ID=[c0-9]+ FB=$' "healthy: lgbob's wrapped ssh login registered"
base=$MS
rs_driver stock 60 --user lgbob --ops open,close
lg_assert_match "$(lg_kv "$OUT" env.XDG_SESSION_ID)" '^c?[0-9]+$' "stock: lgbob's login registered"

# --- (a) lguser's user manager hangs
for i in 1 2; do
        login lguser
        lg_assert_match "$OUT" '^ID= FB=patience$' "lguser's login $i: logind took it, cut after patience"
        lg_assert_within "$MS" "$PATIENCE" "$base" "lguser's login $i: bounded by patience (ms)"
done
login lguser
lg_assert_match "$OUT" '^ID= FB=user$' "lguser's 3rd login: skipped by lguser's own breaker"
lg_assert_within "$MS" 0 "$base" "lguser's 3rd login: no wait (ms)"
for i in 1 2 3; do
        login lgbob
        lg_assert_match "$OUT" '^ID=[c0-9]+ FB=$' "lgbob's login $i: registered, as with stock pam_systemd"
done
rs_driver stock 60 --user lgbob --ops open,close
lg_assert_match "$(lg_kv "$OUT" env.XDG_SESSION_ID)" '^c?[0-9]+$' "stock: lgbob's login registered, the same"
lg_assert_eq "$(rs_breaker STATE)" closed "the host's breaker stays closed"
lg_assert_eq "$(rs_status_key LOGIN1_ACTION)" allow "guardd allows logind for everybody"
lg_check "guardd counts lguser's open breaker" rs_wait_status USER_BREAKERS_OPEN 1 30
lg_check "and the fallbacks (2 cuts, 1 skip)" rs_wait_status_ge FALLBACKS 3 15
lg_assert_eq "$(rs_status_key FALLBACKS_CUT)/$(rs_status_key FALLBACKS_SKIPPED)" 2/1 "by reason: FALLBACKS_CUT 2, FALLBACKS_SKIPPED 1"

named() { rs_status_key USER_JOBS | grep -Eq '^lguser:1000:user@1000\.service:[0-9]+'; }
lg_check "guardd names lguser's pending user@1000.service start job, the cause first" lg_until 30 named
lg_log "USER_JOBS=$(rs_status_key USER_JOBS)"
lg_assert_eq "$(rs_status_key CULPRIT)" user "the culprit is one user's own units"
lg_assert_match "$(rs_status_key SUMMARY)" '^logins of lguser \(uid 1000\) wait for user@1000\.service: start job pending for [0-9]' \
        "the summary names the user, the uid, the unit and the age"
out=$(rs_exec guardd status --nagios)
lg_assert_match "$out" '^LOGINGUARD WARNING - logins of lguser \(uid 1000\) wait for user@1000\.service.*user_jobs=[1-9]' \
        "Nagios: WARNING naming it, user_jobs in the perfdata"
out=$(rs_exec guardd status --json)
lg_assert_match "$out" '"user_jobs":\[\{"user":"lguser","uid":1000,"unit":"user@1000.service","pending_seconds":[0-9]+\}' \
        "JSON: user_jobs"
out=$(rs_exec guardd status --prometheus)
lg_assert_match "$out" '^loginguard_user_job_pending_seconds\{user="lguser",uid="1000",unit="user@1000.service"\} [0-9]+$' \
        "Prometheus: loginguard_user_job_pending_seconds with the user's labels"
lg_assert_match "$out" '^loginguard_user_breakers_open 1$' "Prometheus: loginguard_user_breakers_open 1"

# --- (b) two more users hang: three distinct users within the window
hang 1002
hang 1003
rs_exec systemctl daemon-reload
login lgcarol
lg_assert_match "$OUT" '^ID= FB=patience$' "lgcarol: cut after patience"
lg_assert_eq "$(rs_breaker STATE)" closed "two users stuck: still their own trouble"
login lgbob
lg_assert_match "$OUT" '^ID=[c0-9]+ FB=$' "lgbob still registered"
login lgdave
lg_assert_match "$OUT" '^ID= FB=patience$' "lgdave: cut after patience"
lg_assert_eq "$(rs_breaker STATE)" open "three users stuck within the window: the host's breaker opens"
lg_assert_match "$(rs_exec journalctl -q --no-pager -t sshd -g 'different users stuck')" \
        'calls of 3 different users stuck within 600 s: the breaker opens for every login' \
        "the module says why in the journal"
login lgbob
lg_assert_match "$OUT" '^ID= FB=breaker$' "lgbob's login now skips by the host's breaker (documented rule)"

# --- lift the hang: nothing left behind
rm -rf "$RS_ROOT"/etc/systemd/system/user@100[0-3].service.d
rs_exec systemctl daemon-reload
rs_exec systemctl stop user@1000.service user@1002.service user@1003.service >/dev/null 2>&1
rs_exec sh -c 'for s in $(loginctl list-sessions --no-legend | awk "{print \$1}"); do loginctl terminate-session "$s"; done' >/dev/null 2>&1
rs_exec systemctl reset-failed
rs_settle 5
rs_assert_clean "after the hang is lifted"
lg_done
