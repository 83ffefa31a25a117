# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Shared by the bench scripts (run.sh, ab.sh, ablate.sh, floor.sh, realstack.sh, rs-floor.sh).

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
