#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A login storm with logind frozen: 150 logins at once (more than the
# watch table's 128 slots), deadline 1 s, on the private bus with the logind
# double. How late guardd cuts the calls it holds (its own log: "N ms past
# the deadline"), how late the module's threads cut the rest, and what the
# slowest login of the storm saw, beside the same storm with logind
# healthy. tests/integration/test-watch.sh asserts the behaviour; this is
# the figure. Prints a markdown section.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
. tests/lib/harness.sh
lg_enter_namespace "$@"
lg_setup
lg_login_stack
lg_start_devlog "$LG_TMP/devlog.sock"
LG_INTERVAL_MS=1000 LG_PROBE_TIMEOUT_MS=1000
lg_guardd_conf
lg_start_guardd
lg_wait_status LOGIN1_ACTION allow 10 >/dev/null
ROUNDS=${BENCH_BURST_ROUNDS:-5}
BURST=150
: >"$LG_TMP/empty.conf"
opts="conf=$LG_TMP/empty.conf state_dir=$LG_TMP/state status=$LG_TMP/no-status deadline=1000 trip=64 window=1 debug devlog_path=$LG_TMP/devlog.sock"
lg_service burst "$(lg_module_line optional "$opts" wrap="$PAM_SYSTEMD")" "session required pam_permit.so"
lg_service burst-base "$(lg_module_line optional "${opts/deadline=1000/deadline=120000}" wrap="$PAM_SYSTEMD")" "session required pam_permit.so"

open_ms() { cat "$LG_TMP/$1".[0-9]* | sed -n 's/^open_usec=//p' | awk '{print int($1 / 1000)}'; }
cut_count() { cat "$LG_TMP/$1".[0-9]* | grep -c '^env.LOGINGUARD_FALLBACK=deadline$'; }
skip_count() { cat "$LG_TMP/$1".[0-9]* | grep -c '^env.LOGINGUARD_FALLBACK=breaker$'; }
# When each cut call returned, past its deadline: the module's debug line
# gives the wrapped call's own time and who watched it (WHO: guardd or
# "a thread"). The login saw this, plus its own start and end.
past_ms() {
        grep -a "pam_sm_open_session answered .* watched by $1" "$LG_TMP/devlog.rec" |
                sed 's/.* after \([0-9]*\) us.*/\1/' | awk '{d = int($1 / 1000) - 1000; print d < 0 ? 0 : d}'
}
pct() { sort -n | awk -v p="$1" '{a[NR] = $1} END {i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print NR ? a[i] : "-"}'; }

: >"$LG_TMP/all.healthy" && : >"$LG_TMP/all.cut" && : >"$LG_TMP/all.guardd" && : >"$LG_TMP/all.thread"
ncut=0 nskip=0
rows=""
for r in $(seq 1 "$ROUNDS"); do
        lg_burst burst-base healthy "$BURST"
        open_ms healthy >>"$LG_TMP/all.healthy"
        q=$(open_ms healthy | pct 100)
        lg_freeze "$LOGIND_PID"
        : >"$LG_TMP/devlog.rec"
        lg_burst burst cut "$BURST"
        # The double records each debug line after the call returned.
        lg_until 10 sh -c "[ \$(grep -ac 'pam_sm_open_session answered' '$LG_TMP/devlog.rec') -ge $BURST ]"
        open_ms cut >>"$LG_TMP/all.cut"
        past_ms guardd >>"$LG_TMP/all.guardd"
        past_ms "a thread" >>"$LG_TMP/all.thread"
        ncut=$((ncut + $(cut_count cut))) nskip=$((nskip + $(skip_count cut)))
        rows="$rows| $r | $q | $(open_ms cut | pct 100) | $(cut_count cut) / $(skip_count cut) | $(past_ms guardd | wc -l) | $(past_ms guardd | pct 50) / $(past_ms guardd | pct 100) | $(past_ms "a thread" | wc -l) | $(past_ms "a thread" | pct 50) / $(past_ms "a thread" | pct 100) |
"
        lg_thaw "$LOGIND_PID"
        lg_wait_status LOGIN1_ACTION allow 30 >/dev/null
        rm -rf "$LG_TMP/state"/breaker-* "$LG_TMP/state/users"
        sleep 2
done

cat <<MD
### A login storm with logind frozen (150 logins at once, deadline 1 s)

\`bash bench/burst.sh\` ($BUILD, $ROUNDS rounds, the logind double on a private bus, guardd at its
defaults): each round starts 150 logins at once with logind healthy, then 150 with it
frozen (pam_loginguard deadline=1000 trip=64 window=1). The table holds 128 calls; a login that finds no slot, or guardd's heartbeat stale,
watches its call with its own thread. "Past the deadline" is when the cut wrapped call
returned, from the module's debug line (the wrapped call's own time, minus the deadline).
Times in ms.

| round | healthy storm: slowest login | frozen: slowest login | cut / skipped (of 150) | watched by guardd | its calls past the deadline (median / max) | by a thread | past the deadline (median / max) |
| --- | --- | --- | --- | --- | --- | --- | --- |
$rows
Over all rounds, $ncut of $((ROUNDS * BURST)) frozen logins cut, $nskip skipped once the breaker had opened
(trip=64 window=1: the largest trip there is); the calls guardd watched returned
$(pct 50 <"$LG_TMP/all.guardd") / $(pct 99 <"$LG_TMP/all.guardd") / $(pct 100 <"$LG_TMP/all.guardd") ms past the deadline (median / p99 / max of $(wc -l <"$LG_TMP/all.guardd")), those
its own thread watched $(pct 50 <"$LG_TMP/all.thread") / $(pct 99 <"$LG_TMP/all.thread") / $(pct 100 <"$LG_TMP/all.thread") ms (of $(wc -l <"$LG_TMP/all.thread")); the slowest login of a frozen storm $(pct 100 <"$LG_TMP/all.cut") ms
against $(pct 100 <"$LG_TMP/all.healthy") ms for the slowest of a healthy one. Stock pam_systemd would hold every
one of these logins for its 120 s bus timeout.

guardd is one process cutting up to 128 calls where a thread cuts one: in a storm its cuts
queue behind each other and every runnable login, so its tail is longer than the threads'
($(pct 100 <"$LG_TMP/all.guardd") ms against $(pct 100 <"$LG_TMP/all.thread") ms here at the most). Once it falls 300 ms behind, its heartbeat is stale
and new logins use their own thread. tests/integration/test-watch.sh's burst asserts every
call cut (or skipped on the breaker) within the deadline plus three times the healthy storm's
slowest login; the figure is here, the sanitizer build's in docs/testing.md.
MD
exit 0 # measurements, not checks (lg_done fails without any); the EXIT trap tears down
