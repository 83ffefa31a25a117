#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Incident 1's evidence: 20,000 entries in the sessions directory (with
# .ref FIFOs that must never be opened) and leaked session scopes are
# counted, reported as a leak, and a round stays within its budget.
. "$(dirname "$0")/../lib/harness.sh"
lg_setup
lg_start_bus
lg_start_logind
lg_guardd_conf sessions_warn=5000 scopes_warn=5000
sd=$LG_TMP/sessions-dir ud=$LG_TMP/units-dir
# The same guardd's round with the directories empty is the baseline: the
# bound is on what 20,000 entries add, not on this machine's speed.
lg_start_guardd
lg_check "empty directories: SESSIONS=0" lg_wait_status SESSIONS 0 10
sleep 1
base=$(($(lg_status_key GUARDD_ROUND_USEC) / 1000))
(cd "$sd" && seq 1 18000 | sed 's/^/c/' | xargs touch && seq 1 2000 | sed 's/^/c/; s/$/.ref/' | xargs mkfifo)
(cd "$ud" && seq 1 6000 | sed 's/^/session-c/; s/$/.scope/' | xargs mkdir && mkdir user@0.service init.scope)
lg_check "20,000 session entries counted" lg_wait_status SESSIONS 20000 10
lg_check "session-*.scope entries counted, others not (6000)" lg_wait_status SESSION_SCOPES 6000 10
lg_assert_eq "$(lg_status_key OVERALL)" warning "leak: OVERALL=warning"
lg_assert_match "$(lg_status_key SUMMARY)" '^20,000 session entries in .* \(warn at 5,000\): sessions leak' "leak named in SUMMARY with numbers"
sleep 1
cost=$(($(lg_status_key GUARDD_ROUND_USEC) / 1000))
lg_assert_within "$cost" 200 "$base" "a round with 20,000 entries stays within a generous 200 ms budget (ms)"
touch "$sd/c-new"
lg_check "a new entry is seen (directory mtime changed)" lg_wait_status SESSIONS 20001 5
lg_check "guardd still running (FIFOs never opened)" kill -0 "$GUARDD_PID"
lg_done
