#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The alerting rules pass promtool's checks and unit tests; guardd's
# textfile passes `promtool check metrics`; the real node-exporter, on
# loopback with its textfile collector on guardd's metrics directory,
# serves guardd's metrics in a scrape.
. "$(dirname "$0")/../lib/harness.sh"
lg_setup
command -v promtool >/dev/null || lg_skip "promtool missing (package prometheus)"
rules=$LG_ROOT/conf/prometheus/loginguard.rules.yml
lg_check "promtool check rules" promtool check rules "$rules"
out=$(cd "$LG_ROOT/tests/fixtures/prometheus" && promtool test rules loginguard.rules.test.yml 2>&1); rc=$?
lg_assert_eq "$rc" 0 "promtool test rules: alerts fire as specified"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /' | head -30

lg_start_bus
lg_start_logind
mkdir -p "$LG_TMP/textfile"
lg_guardd_conf metrics_path="$LG_TMP/textfile/loginguard.prom"
lg_start_guardd
lg_wait_for "$LG_TMP/textfile/loginguard.prom" 5
lg_check "promtool check metrics accepts guardd's textfile" sh -c "promtool check metrics <'$LG_TMP/textfile/loginguard.prom'"

# metrics_path = auto (the default): node-exporter's Debian textfile
# directory when it exists, nothing otherwise. In a mount namespace of its
# own with a tmpfs on /var/lib, so the host's directory is never written.
auto_guardd() { # with|without -> the file it wrote there (empty: none), and its log
        mkdir -p "$LG_TMP/auto-$1"
        { cat "$LG_TMP/guardd.conf"; echo "metrics_path = auto"; echo "status_path = $LG_TMP/auto-$1/status"; echo "state_dir = $LG_TMP/auto-$1"; } >"$LG_TMP/auto-$1.conf"
        unshare -m --propagation private bash -c '
                mount -t tmpfs tmpfs /var/lib || exit 1
                [ "$1" = with ] && mkdir -p /var/lib/prometheus/node-exporter
                "$2/guardd" --config "$3/auto-$1.conf" --foreground >"$3/auto-$1.log" 2>&1 &
                g=$!
                for _ in $(seq 1 50); do [ -s "$3/auto-$1/status" ] && break; sleep 0.1; done
                sleep 0.5
                cat /var/lib/prometheus/node-exporter/loginguard.prom 2>/dev/null >"$3/auto-$1.prom"
                kill "$g"; wait "$g"' _ "$1" "$B" "$LG_TMP"
}
if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
        auto_guardd with
        lg_assert_match "$(cat "$LG_TMP/auto-with.prom")" '^loginguard_guardd_up 1' \
                "metrics_path = auto: written where node-exporter reads, when it is installed"
        lg_assert_match "$(cat "$LG_TMP/auto-with.log")" 'Metrics for Prometheus in /var/lib/prometheus/node-exporter/loginguard.prom' "and says where"
        auto_guardd without
        lg_assert_eq "$(cat "$LG_TMP/auto-without.prom")" "" "metrics_path = auto without node-exporter: no file"
        lg_assert_match "$(cat "$LG_TMP/auto-without.log")" 'No metrics file: /var/lib/prometheus/node-exporter does not exist' "and says why"
else
        lg_log "not root or no mount namespaces: metrics_path = auto not tested"
fi

NE=$(command -v prometheus-node-exporter || true)
[ -n "$NE" ] || { lg_log "prometheus-node-exporter missing: scrape not tested"; lg_done; }
port=$((30000 + RANDOM % 20000))
"$NE" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults --collector.textfile \
        --collector.textfile.directory="$LG_TMP/textfile" >"$LG_TMP/ne.log" 2>&1 &
lg_track $!
scrape() {
        exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
        printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
        cat <&3
        exec 3<&-
}
body=""
for _ in $(seq 1 50); do body=$(scrape 2>/dev/null) && [ -n "$body" ] && break; sleep 0.1; done
lg_assert_match "$body" '^loginguard_guardd_up 1' "node-exporter scrape: loginguard_guardd_up"
lg_assert_match "$body" '^loginguard_login1_state\{state="ok"\} 1' "node-exporter scrape: login1 state"
lg_assert_match "$body" '^loginguard_fallbacks_total 0' "node-exporter scrape: fallbacks counter"
lg_assert_match "$body" '^node_textfile_scrape_error 0' "node-exporter: no textfile scrape error"
# Every runbook_url points at a heading of docs/runbook.md (GitHub's anchors:
# lower case, punctuation dropped, spaces to hyphens).
anchors=$(sed -n 's/^## //p' "$LG_ROOT/docs/runbook.md" | tr 'A-Z' 'a-z' | sed 's/[^a-z0-9 _-]//g; s/ /-/g')
for a in $(grep -o 'runbook\.md#[a-z0-9_-]*' "$LG_ROOT/conf/prometheus/loginguard.rules.yml" | sort -u | cut -d'#' -f2); do
        lg_check "runbook has the rules' anchor #$a" grep -qx -- "$a" <<<"$anchors"
done
# docs/operations.md names every alert the rules ship.
for a in $(sed -n 's/^ *- alert: //p' "$rules"); do
        lg_check "docs/operations.md names alert $a" grep -q "\b$a\b" "$LG_ROOT/docs/operations.md"
done
lg_done
