# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Shared by bench/run.sh and bench/ab.sh.

# stats FILE -> "median p99" of the numbers in FILE.
stats() { sort -n "$1" | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; p=a[int(NR*0.99+0.999)]; print m, p}'; }

# medci FILE -> "lo hi": the 95% confidence interval of the median of the
# numbers in FILE, from order statistics (ranks n/2 -+ 0.98 sqrt(n)), which
# needs no assumption about their distribution.
medci() {
        sort -n "$1" | awk '{a[NR]=$1} END {d=0.98*sqrt(NR); lo=int(NR/2-d); hi=int(NR/2+1+d+0.999)
                if (lo < 1) lo=1; if (hi > NR) hi=NR; print a[lo], a[hi]}'
}
