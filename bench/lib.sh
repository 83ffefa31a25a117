# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Shared by the bench scripts (run.sh, ab.sh, ablate.sh, floor.sh, neighbour.sh, realstack.sh,
# rs-floor.sh).

# stats FILE -> "median p99" of the numbers in FILE.
stats() { sort -n "$1" | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; p=a[int(NR*0.99+0.999)]; print m, p}'; }

# median FILE -> the median of the numbers in FILE.
median() { stats "$1" | cut -d' ' -f1; }

# medci FILE -> "lo hi": the 95% confidence interval of the median of the
# numbers in FILE, from order statistics (ranks n/2 -+ 0.98 sqrt(n)), which
# needs no assumption about their distribution.
medci() {
        sort -n "$1" | awk '{a[NR]=$1} END {d=0.98*sqrt(NR); lo=int(NR/2-d); hi=int(NR/2+1+d+0.999)
                if (lo < 1) lo=1; if (hi > NR) hi=NR; print a[lo], a[hi]}'
}

# diffs A B -> B - A, line by line: the paired differences.
diffs() { paste "$1" "$2" | awk '{print $2 - $1}'; }

# paired_medci A B -> "median (lo to hi)": of B - A line by line, the
# median with its 95% confidence interval (medci).
paired_medci() {
        local d lo hi
        d=$(diffs "$1" "$2")
        read -r lo hi < <(medci <(echo "$d"))
        printf '%s (%s to %s)' "$(median <(echo "$d"))" "$lo" "$hi"
}

# paired A B -> "median mean ci95": of B - A line by line, the median, the
# mean and the half-width of the mean's 95% confidence interval.
paired() {
        diffs "$1" "$2" | sort -n |
                awk '{a[NR]=$1; s+=$1; q+=$1*$1} END {m=s/NR; sd=sqrt((q-NR*m*m)/(NR-1))
                        printf "%s %.0f %.0f\n", a[int((NR+1)/2)], m, 1.96*sd/sqrt(NR)}'
}

# ratio_of STOCK WRAPPED -> "ratio (95% CI lo to hi)": 1 + the paired mean
# difference / the stock mean, with the difference's interval. The ratio of
# medians moves by several percent between runs of 200 pairs on the real
# stack; this one is what the sample can support.
ratio_of() {
        local d c m
        read -r _ d c < <(paired "$1" "$2")
        m=$(awk '{s+=$1; n++} END {printf "%.0f", s/n}' "$1")
        awk -v d="$d" -v c="$c" -v m="$m" 'BEGIN {printf "%.3f (95%% CI %.3f to %.3f)", 1+d/m, 1+(d-c)/m, 1+(d+c)/m}'
}

# shuffled WORD... -> the words in a random order, on one line. Benches that
# run several stacks a round draw each round's order with it: rotating one
# fixed order gives every stack nearly always the same neighbour, and what
# ran just before a login moves its time on this VM by more than the
# differences being measured (docs/BENCHMARKS.md, "Which neighbour").
shuffled() { printf '%s\n' "$@" | shuf | tr '\n' ' '; }

# bench_double: the private bus and the logind double, the shipped config
# (conf/loginguard.conf: every key commented out, 102 lines the module
# reads in every login, as on a host with the packages installed),
# and $st (the status file) and $opts (the module's options) to go with
# them. After lg_setup and lg_find_pam_systemd.
bench_double() {
        lg_start_bus
        lg_start_logind
        cp conf/loginguard.conf "$LG_TMP/loginguard.conf"
        st=$LG_TMP/status
        opts="conf=$LG_TMP/loginguard.conf state_dir=/run/loginguard status=$st"
}

# bench_stacks: the PAM services the benches compare on the double:
# permit (pam_permit twice), wpermit (pam_loginguard wrapping pam_permit),
# stock (pam_systemd), bare (bench/pam_barewrap.so wrapping it) and
# wrapped (pam_loginguard wrapping it). After bench_double.
bench_stacks() {
        local permit=${PAM_SYSTEMD%/*}/pam_permit.so
        lg_service permit "session required pam_permit.so" "session optional pam_permit.so"
        # service=login1: guardd's verdict for logind, as pam_systemd gets it (a
        # service guardd does not know has the module read the status file).
        lg_service wpermit "session required pam_permit.so" "$(lg_module_line optional "$opts" service=login1 wrap="$permit")"
        lg_service stock "session required pam_permit.so" "session optional $PAM_SYSTEMD"
        lg_service bare "session required pam_permit.so" "session optional $B/bench/pam_barewrap.so wrap=$PAM_SYSTEMD"
        lg_service wrapped "session required pam_permit.so" "$(lg_module_line optional "$opts" wrap="$PAM_SYSTEMD")"
}

# bench_floor_stacks: bench_stacks plus noop (pam_permit and a module
# that does nothing, bench/pam_noop.c), on the double: the six stacks
# floor.sh times and count.sh counts. After lg_setup.
bench_floor_stacks() {
        lg_find_pam_systemd
        bench_double
        bench_stacks
        lg_service noop "session required pam_permit.so" "session optional $B/bench/pam_noop.so"
}

# bench_guardd: guardd at its defaults on the double, watching the calls;
# fails when it does not say so within 10 s.
bench_guardd() {
        LG_INTERVAL_MS=1000 LG_PROBE_TIMEOUT_MS=1000 lg_guardd_conf status_path="$st" state_dir=/run/loginguard
        lg_start_guardd
        lg_wait_status WATCHDOG guardd 10 >/dev/null
}
