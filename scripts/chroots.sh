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
mirror=${LG_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ -f "$dir/.loginguard-ready" ] && [ -z "${LG_CHROOT_REFRESH:-}" ]; then
        echo "$dir"
        exit 0
fi
[ "$(id -u)" = 0 ] || { echo "chroots.sh: needs root (debootstrap)" >&2; exit 77; }
command -v debootstrap >/dev/null || { echo "chroots.sh: debootstrap missing" >&2; exit 77; }
mkdir -p "$base"
rm -rf "$dir.tmp"
echo "chroots.sh: debootstrap --variant=minbase $suite from $mirror (a few minutes, cached afterwards)" >&2
if ! debootstrap --variant=minbase --include=libpam-systemd,libpam-runtime,libpam-modules \
        "$suite" "$dir.tmp" "$mirror" >"$base/$suite.log" 2>&1; then
        echo "chroots.sh: debootstrap of $suite failed (archive unreachable?); see $base/$suite.log:" >&2
        tail -n 5 "$base/$suite.log" >&2
        rm -rf "$dir.tmp"
        exit 77
fi
rm -rf "$dir"
mv "$dir.tmp" "$dir"
chroot "$dir" dpkg-query -W -f='${Version}\n' libpam-systemd >"$dir/.loginguard-ready"
echo "$dir"
