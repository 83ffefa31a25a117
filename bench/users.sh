#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Per-user breakers with 10,000 users (issue 23): what the decision path
# costs with and without them, what a user-scoped cut's scan costs, and how
# much room the files take on tmpfs. Prints a markdown section.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
USERS=${BENCH_USERS:-10000}
dir=$(mktemp -d /tmp/loginguard-bench-users.XXXXXX)
trap 'rm -rf "$dir"' EXIT
out=$("$BUILD/bench/bench-users" "$dir/state" "$USERS" 20000) || { echo "(bench-users failed)"; exit 1; }
v() { printf '%s\n' "$out" | sed -n "s/^$1=//p"; }
cat <<SECTION
### Per-user breakers, $USERS users (issue 23)

\`$BUILD/bench/bench-users STATE_DIR $USERS 20000\` (breaker decisions only, as the module
makes them before the call; median / p99 of 20,000, in µs):

| host state | decision path | median | p99 |
| --- | --- | --- | --- |
| no breaker file (every healthy host: nothing was ever cut) | host breaker only, no per-user lookup | $(v no_breaker_file_median_us) | $(v no_breaker_file_p99_us) |
| host file exists, $USERS per-user files | host breaker only (for reference) | $(v host_file_no_user_lookup_median_us) | $(v host_file_no_user_lookup_p99_us) |
| host file exists, $USERS per-user files | + this user's file, which does not exist | $(v user_without_file_median_us) | $(v user_without_file_p99_us) |
| host file exists, $USERS per-user files | + this user's file, breaker open (skip) | $(v user_with_open_breaker_median_us) | $(v user_with_open_breaker_p99_us) |

The per-user file is looked up only when the host's breaker file exists (a per-user cut
always makes it), so the healthy path of a host that never cut a call is unchanged; where
it exists the lookup is one failed \`openat()\` in a directory of $USERS entries. Size: a
record is $(v record_bytes) bytes, a page on tmpfs: $USERS users take $(v users_dir_kib) KiB
of /run. guardd removes a closed user's file an hour (or \`window\`, if longer) after its
last cut, so the directory holds the users with recent trouble, not every user since boot.
After a user-scoped cut the module counts users stuck within the window, stopping at 3:
$(v cut_scan_until_3_us) µs here; counting all $USERS would take $(v cut_scan_all_us) µs
(guardd counts the open user breakers this way at most every 10 s, so 10,000 users cost it
about 3% of a core; a few users, nothing measurable).
SECTION
