#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The fleet view against the real thing: Debian's prometheus scraping three
# real prometheus-node-exporters on loopback, with the shipped alerting
# rules loaded as shipped. Host a runs guardd with a healthy logind, host b
# guardd with its logind frozen, host c a node-exporter without loginguard.
#   - every shipped rule loads and evaluates on the server;
#   - Login1Stuck fires for host b alone, within its `for:` of guardd
#     saying stuck, its summary naming host b; LoginguardMetricsMissing is
#     pending for host c alone (its `for:` is 5 minutes); Login1Stuck
#     clears after the thaw; LoginguardDown fires for host a alone once its
#     guardd stopped (stale after 60 s, then its `for:` of 2 minutes);
#   - every query of the shipped Grafana dashboard (conf/grafana) is valid
#     PromQL on that server, uses only metrics guardd exports, and the
#     panels that must show something on this fleet do.
. "$(dirname "$0")/../lib/harness.sh"
lg_setup
command -v prometheus >/dev/null || lg_skip "prometheus missing (package prometheus; scripts/deps.sh installs it)"
NE=$(command -v prometheus-node-exporter) || lg_skip "prometheus-node-exporter missing (scripts/deps.sh installs it)"
PY=/usr/bin/python3
DASH=$LG_ROOT/conf/grafana/loginguard-dashboard.json

free_port() { # a TCP port nothing listens on now
        local p
        while :; do
                p=$((20000 + RANDOM % 30000))
                (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
        done
}

# host_guardd NAME: a bus, a logind double and a guardd of their own,
# writing NAME's textfile; sets LOGIND_<NAME> and GUARDD_<NAME>.
host_guardd() {
        local h=$1 d=$LG_TMP/host-$1
        mkdir -p "$d/textfile" "$d/state" "$d/sessions"
        lg_start_bus "$d/bus.sock"
        "$B/tests/logind-double" --ready "$d/logind.ready" --log "$d/logind.log" \
                --runtime-dir "$d/sessions" >>"$d/logind.out" 2>&1 &
        eval "LOGIND_$h=$!"
        lg_track $!
        lg_wait_for "$d/logind.ready" 5 || { lg_fail "host $h: logind double did not start"; lg_done; }
        lg_guardd_conf status_path="$d/status" state_dir="$d/state" metrics_path="$d/textfile/loginguard.prom" \
                interval_ms=250 probe_timeout_ms=500
        cp "$LG_TMP/guardd.conf" "$d/guardd.conf"
        "$B/guardd" --config "$d/guardd.conf" --foreground >>"$d/guardd.log" 2>&1 &
        eval "GUARDD_$h=$!"
        lg_track $!
        lg_wait_for "$d/textfile/loginguard.prom" 10 || { cat "$d/guardd.log"; lg_fail "host $h: guardd wrote no metrics"; lg_done; }
}
host_guardd a
host_guardd b
mkdir -p "$LG_TMP/host-c/textfile"

targets=""
for h in a b c; do
        port=$(free_port)
        "$NE" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults --collector.textfile \
                --collector.textfile.directory="$LG_TMP/host-$h/textfile" >"$LG_TMP/ne-$h.log" 2>&1 &
        lg_track $!
        eval "PORT_$h=$port"
        targets="$targets
      - targets: ['127.0.0.1:$port']
        labels: {host: $h}"
done
PROM_PORT=$(free_port)
cat >"$LG_TMP/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $LG_ROOT/conf/prometheus/loginguard.rules.yml
scrape_configs:
  - job_name: node
    static_configs:$targets
CONF
prometheus --config.file="$LG_TMP/prometheus.yml" --storage.tsdb.path="$LG_TMP/tsdb" \
        --web.listen-address="127.0.0.1:$PROM_PORT" >"$LG_TMP/prometheus.log" 2>&1 &
lg_track $!
API=http://127.0.0.1:$PROM_PORT/api/v1

# q PROMQL: the result of an instant query as "host state value" lines,
# or "error: ..." when the server refuses the query.
q() {
        "$PY" - "$API" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
api, expr = sys.argv[1], sys.argv[2]
try:
    with urllib.request.urlopen(api + "/query?" + urllib.parse.urlencode({"query": expr}), timeout=10) as r:
        d = json.load(r)
except urllib.error.HTTPError as e:
    d = json.load(e)
except Exception as e:
    print("error: %s" % e); sys.exit(0)
if d.get("status") != "success":
    print("error: %s" % d.get("error")); sys.exit(0)
for s in d["data"]["result"]:
    m = s.get("metric", {})
    print(m.get("host", "-"), m.get("state", "-"), s["value"][1])
PY
}
alerts() { # "alertname host state" lines
        "$PY" - "$API" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/alerts", timeout=10) as r:
    for a in json.load(r)["data"]["alerts"]:
        print(a["labels"]["alertname"], a["labels"].get("host", "-"), a["state"])
PY
}
up_all() { [ "$(q 'sum(up)' 2>/dev/null | awk '{print $3}')" = 3 ]; }
lg_until 60 up_all || { tail -n 20 "$LG_TMP/prometheus.log" | sed 's/^/#   /'; lg_fail "prometheus scrapes the three node-exporters"; lg_done; }
lg_ok "prometheus scrapes the three node-exporters"
has_guardd_up() { [ "$(q 'count(loginguard_guardd_up == 1)' | awk '{print $3}')" = 2 ]; }
lg_until 30 has_guardd_up || lg_fail "loginguard_guardd_up is 1 for hosts a and b"

# Every shipped rule loaded and evaluated without error by the server.
rules_health=$("$PY" - "$API" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/rules", timeout=10) as r:
    for g in json.load(r)["data"]["groups"]:
        for rule in g["rules"]:
            print(rule["name"], rule["health"], rule.get("lastError", ""))
PY
)
lg_assert_eq "$(wc -l <<<"$rules_health")" "$(grep -cE '^ *- (alert|record): ' "$LG_ROOT/conf/prometheus/loginguard.rules.yml")" "prometheus loaded every shipped rule (alerting and recording)"
lg_assert_eq "$(awk '$2 != "ok"' <<<"$rules_health")" "" "every rule evaluates on the real server (health ok)"

# Host b's logind frozen: Login1Stuck (for: 30s) fires there and nowhere
# else, within its 30 s of the textfile saying stuck and a few intervals.
kill -STOP "$LOGIND_b"
t0=$SECONDS
b_stuck() { grep -q '^loginguard_login1_state{state="stuck"} 1' "$LG_TMP/host-b/textfile/loginguard.prom"; }
lg_until 60 b_stuck || lg_fail "host b's guardd says login1 stuck within 60 s"
t_stuck=$SECONDS
stuck_b() { alerts | grep -qx 'Login1Stuck b firing'; }
lg_until 120 stuck_b || lg_fail "Login1Stuck fires for host b within 120 s"
t_fire=$SECONDS
lg_log "logind frozen at 0 s; guardd says stuck at $((t_stuck - t0)) s; Login1Stuck firing at $((t_fire - t0)) s"
if [ $((t_fire - t_stuck)) -le 40 ]; then
        lg_ok "Login1Stuck fires within its for: 30s and 10 s of intervals after the textfile said stuck ($((t_fire - t_stuck)) s)"
else
        lg_fail "Login1Stuck fired $((t_fire - t_stuck)) s after the textfile said stuck (for: 30s, bound 40 s)"
fi
all=$(alerts)
lg_log "alerts: $(tr '\n' ';' <<<"$all")"
lg_assert_eq "$(grep '^Login1Stuck ' <<<"$all" | awk '{print $2}' | sort -u | tr '\n' ' ')" "b " "Login1Stuck: host b only, not the healthy host a"
lg_assert_eq "$(grep '^LoginguardMetricsMissing ' <<<"$all" | awk '{print $2 " " $3}' | sort -u | tr '\n' ' ')" "c pending " \
        "LoginguardMetricsMissing: host c (no loginguard) only, pending for its 5 minutes"
if grep -q ' a ' <<<"$all"; then lg_fail "no alert for host a"; else lg_ok "no alert for host a"; fi
summary=$("$PY" - "$API" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/alerts", timeout=10) as r:
    for a in json.load(r)["data"]["alerts"]:
        if a["labels"]["alertname"] == "Login1Stuck":
            print(a["annotations"]["summary"])
PY
)
lg_assert_eq "$summary" "systemd-logind on 127.0.0.1:$PORT_b is not answering" "Login1Stuck's summary names host b's instance, not another's"

# The dashboard: every query valid here, only guardd's metric names.
# What guardd exports: every name its Prometheus renderer has (some appear
# only when there is something to say: a pending user job, /dev/log writers).
exported=$(grep -o '"loginguard_[a-z0-9_]*' "$LG_ROOT/guardd/output.c" | tr -d '"' | sort -u)
tf_names=$(sed -n 's/^# TYPE \([a-z0-9_]*\) .*/\1/p' "$LG_TMP"/host-[ab]/textfile/loginguard.prom | sort -u)
lg_assert_eq "$(comm -23 <(echo "$tf_names") <(echo "$exported"))" "" "the renderer's names cover what guardd wrote here ($(wc -l <<<"$tf_names") metrics)"
exprs=$("$PY" - "$DASH" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["panels"]:
    for t in p.get("targets", []):
        print(p["title"] + "\t" + t["expr"])
for a in d["annotations"]["list"]:
    print("annotation " + a["name"] + "\t" + a["expr"])
print("variable instance\t" + d["templating"]["list"][0]["query"]["query"].replace("label_values(", "group by (instance) (").replace(", instance)", ")"))
PY
)
lg_assert_match "$(wc -l <<<"$exprs")" '^[0-9]{2,}$' "the dashboard has its queries ($(wc -l <<<"$exprs"))"
declare -A shows
while IFS=$'\t' read -r title expr; do
        e=${expr//\$instance/.*}
        res=$(q "$e")
        if [[ $res == error:* ]]; then lg_fail "dashboard '$title': '$e' refused: $res"; continue; fi
        for m in $(grep -o 'loginguard_[a-z0-9_]*' <<<"$e" | sort -u); do
                grep -qx "$m" <<<"$exported" || lg_fail "dashboard '$title': $m is not a metric guardd exports"
        done
        [ -n "$res" ] && shows[$title]=1
done <<<"$exprs"
lg_ok "every dashboard query is valid PromQL on prometheus $(prometheus --version 2>&1 | awk 'NR==1 {print $3}')"
for title in "Overall state by host" "What is wrong now (culprit)" "Hosts whose logins skip pam_systemd" \
        "login1 round trip and time unanswered" "Bus queue held for logind" "Sessions and session scopes" "variable instance"; do
        lg_check "dashboard '$title' shows data on this fleet" test -n "${shows[$title]:-}"
done
overall=$(q 'max by (host) (2 * loginguard_overall{state="critical"} + ignoring(state) loginguard_overall{state="warning"})' | sort)
lg_assert_match "$overall" '^b - 2$' "dashboard's overall state: host b critical"
lg_assert_match "$overall" '^a - 0$' "dashboard's overall state: host a OK"

# Thawed: the alert clears. guardd of host a stopped: its textfile goes
# stale and LoginguardDown (stale after 60 s, for: 2m) fires for host a.
kill -CONT "$LOGIND_b"
cleared() { ! alerts | grep -q '^Login1Stuck '; }
lg_until 60 cleared || lg_fail "Login1Stuck clears within 60 s of the thaw"
lg_ok "Login1Stuck cleared after the thaw"
kill -TERM "$GUARDD_a"
wait "$GUARDD_a" 2>/dev/null
t0=$SECONDS
down_a() { alerts | grep -qx 'LoginguardDown a firing'; }
lg_until 240 down_a || lg_fail "LoginguardDown fires for host a within 240 s of its guardd stopping"
lg_log "LoginguardDown for host a firing $((SECONDS - t0)) s after its guardd stopped (60 s to stale, for: 2m)"
lg_assert_eq "$(alerts | grep '^LoginguardDown ' | awk '{print $2}' | sort -u | tr '\n' ' ')" "a " "LoginguardDown: host a only"
lg_done
