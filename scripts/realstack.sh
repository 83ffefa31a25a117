#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The real systemd stack by hand (tests/lib/realstack.sh does the work):
#   scripts/realstack.sh build [SUITE]          build and cache the image (bookworm)
#   scripts/realstack.sh shell [SUITE]          boot it with loginguard installed, open
#                                               a root shell inside; powered off on exit
#   scripts/realstack.sh run SUITE CMD...       boot, install, run CMD inside, power off
# SUITE: bookworm (systemd 252), trixie (257), sid (258+, Varlink). Images
# live in /var/cache/loginguard/realstack; LG_REALSTACK_REFRESH=1 rebuilds.
# Everything runs in a private mount namespace; the host is not changed.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
cmd=${1:-}
suite=${2:-bookworm}
case $cmd in
build | shell | run) ;;
*)
        sed -n '4,9p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
[ "$(id -u)" = 0 ] || { echo "realstack.sh: needs root"; exit 1; }
if [ -z "${LG_IN_NS:-}" ]; then
        LG_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. tests/lib/harness.sh
lg_enter_namespace
LG_TMP=$(mktemp -d /tmp/loginguard-realstack.XXXXXX)
trap 'rs_cleanup; rm -rf "$LG_TMP"' EXIT
. tests/lib/realstack.sh
lg_skip() { echo "realstack.sh: $*" >&2; exit 77; }

if [ "$cmd" = build ]; then
        rs_image "$suite"
        echo "$RS_IMAGE: systemd $(cat "$RS_IMAGE/.loginguard-ready")"
        exit 0
fi
[ -x "$B/guardd" ] || { echo "realstack.sh: build first (make test-bins)"; exit 1; }
rs_boot "$suite"
rs_install
echo "systemd $RS_SYSTEMD_VERSION as PID 1 (host pid $RS_PID1); loginguard installed; root is $RS_ROOT"
if [ "$cmd" = shell ]; then
        nsenter -t "$RS_PID1" -a -- /bin/bash -l
else
        shift 2
        rs_run "$@"
fi
