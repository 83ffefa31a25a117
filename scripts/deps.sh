#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Install the Debian packages loginguard needs to build, test, demo and
# benchmark (strace: bench/count.sh).
# Only the missing ones are installed, and each is named first. Without
# root it prints the apt-get line to run and stops, so a developer never
# gets a half-installed machine by surprise.
set -eu

PKGS="build-essential pkg-config libpam0g-dev libsystemd-dev libcmocka-dev
libpam-systemd dbus-daemon dbus-bin
valgrind clang clang-tidy clang-format cppcheck openssh-server openssh-client
util-linux procps python3 man-db bsdutils
prometheus prometheus-node-exporter debhelper fakeroot lintian dpkg-dev debootstrap
systemd-container strace"

missing=""
for p in $PKGS; do
        s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
        case "$s" in
        ii*) ;;
        *) missing="$missing $p" ;;
        esac
done

if [ -z "$missing" ]; then
        echo "deps: all build and test packages present"
        exit 0
fi

echo "deps: missing:$missing"
if [ "$(id -u)" != 0 ]; then
        echo "deps: not root; run as root:"
        echo "  apt-get update && apt-get install -y --no-install-recommends$missing"
        exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "deps: apt-get install$missing"
apt-get update -qq >/dev/null
# policy-rc.d keeps maintainer scripts from starting services (sshd) on
# the host: tests start their own, in private namespaces.
prc=/usr/sbin/policy-rc.d
made_prc=0
if [ ! -e "$prc" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$prc"
        chmod 755 "$prc"
        made_prc=1
fi
rc=0
# One line per package, not dpkg's progress: the full log is kept.
log=$(mktemp /tmp/loginguard-deps.XXXXXX)
for p in $missing; do echo "deps: installing $p"; done
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >"$log" 2>&1 || rc=$?
if [ "$rc" != 0 ]; then
        tail -n 30 "$log"
        echo "deps: apt-get failed (exit $rc); full log: $log"
else
        echo "deps: installed $(echo $missing | wc -w) packages (log: $log)"
fi
[ "$made_prc" = 1 ] && rm -f "$prc"
exit $rc
