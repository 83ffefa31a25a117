#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build (or reuse) a minimal Debian chroot with the distribution's
# pam_systemd, for proving pam_loginguard against newer systemd:
#   scripts/chroots.sh trixie   # systemd 257: D-Bus
#   scripts/chroots.sh sid      # systemd 258+: Varlink, D-Bus fallback
# Prints the chroot's directory. Cached in $LG_CHROOT_DIR
# (/var/cache/loginguard/chroots); LG_CHROOT_REFRESH=1 rebuilds.
# Exit 77 when debootstrap or the archive cannot be had.
set -eu
suite=${1:?usage: chroots.sh SUITE}
base=${LG_CHROOT_DIR:-/var/cache/loginguard/chroots}
dir=$base/$suite
mirror=$("$(dirname "$0")/debian-mirror") || { echo "chroots.sh: no Debian mirror in the host's apt sources (set LG_DEBIAN_MIRROR)" >&2; exit 77; }

if [ -f "$dir/.loginguard-ready" ] && [ -z "${LG_CHROOT_REFRESH:-}" ]; then
        echo "$dir"
        exit 0
fi
[ "$(id -u)" = 0 ] || { echo "chroots.sh: needs root (debootstrap)" >&2; exit 77; }
command -v debootstrap >/dev/null || { echo "chroots.sh: debootstrap missing" >&2; exit 77; }
mkdir -p "$base"
# A base system from an interrupted earlier run is reused.
if [ ! -f "$dir.tmp/etc/debian_version" ] || [ -d "$dir.tmp/debootstrap" ]; then
        rm -rf "$dir.tmp"
        echo "chroots.sh: debootstrap --variant=minbase $suite from $mirror (a few minutes, cached afterwards)" >&2
        if ! debootstrap --variant=minbase "$suite" "$dir.tmp" "$mirror" >"$base/$suite.log" 2>&1; then
                echo "chroots.sh: debootstrap of $suite failed (archive unreachable?); see $base/$suite.log:" >&2
                tail -n 5 "$base/$suite.log" >&2
                cp "$dir.tmp/debootstrap/debootstrap.log" "$base/$suite.debootstrap.log" 2>/dev/null
                rm -rf "$dir.tmp"
                exit 77
        fi
fi
# pam_systemd's package is installed afterwards with /proc mounted and no
# service starts (debootstrap --include fails to configure it).
printf '#!/bin/sh\nexit 101\n' >"$dir.tmp/usr/sbin/policy-rc.d"
chmod 755 "$dir.tmp/usr/sbin/policy-rc.d"
mount -t proc proc "$dir.tmp/proc"
rc=0
chroot "$dir.tmp" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        libpam-systemd libpam-runtime libpam-modules >>"$base/$suite.log" 2>&1 || rc=$?
umount "$dir.tmp/proc"
if [ "$rc" != 0 ]; then
        echo "chroots.sh: installing libpam-systemd in $suite failed; see $base/$suite.log" >&2
        exit 77
fi
chroot "$dir.tmp" apt-get clean
rm -rf "$dir"
mv "$dir.tmp" "$dir"
chroot "$dir" dpkg-query -W -f='${Version}\n' libpam-systemd >"$dir/.loginguard-ready"
echo "$dir"
