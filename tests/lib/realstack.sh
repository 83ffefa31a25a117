# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# The real systemd stack for tests, the demo and the benchmarks: a Debian
# root (debootstrap, cached under /var/cache/loginguard/realstack/SUITE)
# booted with systemd as PID 1 in systemd-nspawn, with its real logind,
# dbus-daemon, journald and sshd. Each boot runs on a tmpfs overlay of the
# cached image, so every test starts from the same pristine system and
# nothing it does survives it; the merged root is visible from the host as
# $RS_ROOT, which is how loginguard is installed into it (make install
# DESTDIR=$RS_ROOT).
#
# Sourced after tests/lib/harness.sh (it uses lg_skip, lg_log, $B, $LG_TMP);
# the caller is inside lg_enter_namespace, so every mount is private.
#
#   rs_boot SUITE             boot; sets RS_ROOT, RS_PID1 (host PID of the
#                             container's init), RS_NSPAWN, RS_SYSTEMD_VERSION
#   rs_exec CMD...            run CMD in the container's namespaces (no unit)
#   rs_run CMD...             run CMD inside a service of the container's
#                             PID 1 (a real cgroup, so logind can give it a
#                             session), also while dbus-daemon, logind or
#                             PID 1 itself are stopped
#   rs_hostpid CPID           host PID of container PID CPID
#   rs_unit_hostpid UNIT      host PID of UNIT's main process
#   rs_install                make install DESTDIR=$RS_ROOT, plus test tools
#   rs_up SUITE               rs_boot, rs_install, loginguard-pam enable
#   rs_stop                   power the container off (killed if it hangs)
#
# Why these flags: the hosts this runs on have no systemd as PID 1 and no
# host bus, so nspawn must not register with machined (--register=no
# --keep-unit); --private-network keeps the container's sshd off the
# host's port 22; the unified cgroup hierarchy is forced because systemd
# 258+ refuses cgroup v1 and Debian 12 itself boots unified by default;
# nspawn 252's seccomp filter lacks pidfd_getfd (guardd's drain and its
# cut of a stuck login's sockets), which a host outside a container has.

RS_CACHE=${LG_REALSTACK_DIR:-/var/cache/loginguard/realstack}
RS_PKGS="systemd,systemd-sysv,dbus,libpam-systemd,libpam-runtime,openssh-server,openssh-client,procps"
RS_ROOT=""
RS_PID1=""
RS_NSPAWN=""
RS_NAME=""
RS_SYSTEMD_VERSION=""
RS_TOOLS=/usr/local/lib/loginguard-test

# rs_prepare_image DIR: what every test expects inside the image. Runs once,
# when the image is built.
rs_prepare_image() {
        local d=$1
        printf '127.0.0.1 localhost\n::1 localhost\n' >"$d/etc/hosts"
        chroot "$d" useradd -m -u 1000 -s /bin/bash lguser
        mkdir -p "$d/root/.ssh"
        chmod 700 "$d/root/.ssh"
        chroot "$d" ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/id_ed25519
        cp "$d/root/.ssh/id_ed25519.pub" "$d/root/.ssh/authorized_keys"
        install -d -m 700 -o 1000 -g 1000 "$d/home/lguser/.ssh"
        install -m 600 -o 1000 -g 1000 "$d/root/.ssh/id_ed25519.pub" "$d/home/lguser/.ssh/authorized_keys"
        cat >"$d/etc/ssh/ssh_config.d/loginguard-test.conf" <<'EOF'
Host 127.0.0.1
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    BatchMode yes
    LogLevel ERROR
EOF
        # Nothing periodic or interactive that could start mid-test.
        local u
        for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
                fstrim.timer systemd-tmpfiles-clean.timer console-getty.service getty@tty1.service; do
                ln -sf /dev/null "$d/etc/systemd/system/$u"
        done
        # Everything that prints a session must be able to say so in the journal.
        mkdir -p "$d/etc/systemd/journald.conf.d"
        printf '[Journal]\nStorage=volatile\nRateLimitBurst=0\n' >"$d/etc/systemd/journald.conf.d/loginguard-test.conf"
}

# rs_image SUITE: the cached image's directory in RS_IMAGE; built when missing.
rs_image() {
        local suite=$1 dir mirror log
        dir=$RS_CACHE/$suite
        RS_IMAGE=$dir
        [ -f "$dir/.loginguard-ready" ] && [ -z "${LG_REALSTACK_REFRESH:-}" ] && return 0
        [ "$(id -u)" = 0 ] || lg_skip "building the $suite image needs root (debootstrap)"
        command -v debootstrap >/dev/null || lg_skip "debootstrap missing (scripts/deps.sh installs it)"
        mirror=$("$LG_ROOT/scripts/debian-mirror") || lg_skip "no Debian mirror in the host's apt sources (set LG_DEBIAN_MIRROR)"
        mkdir -p "$RS_CACHE"
        log=$RS_CACHE/$suite.log
        rm -rf "$dir.tmp"
        echo "realstack: building the $suite image from $mirror (once, about a minute; cached in $dir)" >&2
        if ! debootstrap --variant=minbase --include="$RS_PKGS" "$suite" "$dir.tmp" "$mirror" >"$log" 2>&1; then
                tail -n 5 "$log" >&2
                rm -rf "$dir.tmp"
                lg_skip "debootstrap of $suite from $mirror failed (see $log)"
        fi
        rs_prepare_image "$dir.tmp" >>"$log" 2>&1 || { rm -rf "$dir.tmp"; lg_skip "preparing the $suite image failed (see $log)"; }
        chroot "$dir.tmp" apt-get clean
        rm -rf "$dir"
        mv "$dir.tmp" "$dir"
        chroot "$dir" dpkg-query -W -f='${Version}\n' systemd >"$dir/.loginguard-ready"
}

# What building the Debian packages needs (debian/control's Build-Depends
# on that suite: systemd.pc is in systemd on bookworm, systemd-dev later).
RS_BUILD_PKGS="build-essential,dpkg-dev,debhelper,pkgconf,libpam0g-dev,libsystemd-dev,libcmocka-dev"

# rs_build_root SUITE: a chroot of SUITE with the packages' build
# dependencies, cached beside the images (RS_BUILD_ROOT). No systemd
# boots in it: dpkg-buildpackage runs there with chroot.
rs_build_root() {
        local suite=$1 dir mirror log extra=systemd-dev
        [ "$suite" = bookworm ] && extra=systemd
        dir=$RS_CACHE/$suite-build
        RS_BUILD_ROOT=$dir
        # Made again when the package list changed since.
        [ "$(cat "$dir/.loginguard-ready" 2>/dev/null)" = "$RS_BUILD_PKGS,$extra" ] &&
                [ -z "${LG_REALSTACK_REFRESH:-}" ] && return 0
        command -v debootstrap >/dev/null || lg_skip "debootstrap missing (scripts/deps.sh installs it)"
        mirror=$("$LG_ROOT/scripts/debian-mirror") || lg_skip "no Debian mirror in the host's apt sources (set LG_DEBIAN_MIRROR)"
        mkdir -p "$RS_CACHE"
        log=$RS_CACHE/$suite-build.log
        rm -rf "$dir.tmp"
        echo "realstack: building the $suite build root from $mirror (once, a few minutes; cached in $dir)" >&2
        if ! debootstrap --variant=minbase --include="$RS_BUILD_PKGS,$extra" "$suite" "$dir.tmp" "$mirror" >"$log" 2>&1; then
                tail -n 5 "$log" >&2
                rm -rf "$dir.tmp"
                lg_skip "debootstrap of the $suite build root from $mirror failed (see $log)"
        fi
        chroot "$dir.tmp" apt-get clean
        rm -rf "$dir"
        mv "$dir.tmp" "$dir"
        echo "$RS_BUILD_PKGS,$extra" >"$dir/.loginguard-ready"
}

# rs_build_debs SUITE TARBALL DEBIAN_DIR OUT: dpkg-buildpackage -b in a
# throw-away overlay of SUITE's build root; the .debs land in OUT.
rs_build_debs() {
        local suite=$1 tarball=$2 debian=$3 out=$4 w v
        rs_build_root "$suite"
        w=$LG_TMP/build-$suite
        mkdir -p "$w/upper" "$w/work" "$w/root" "$out"
        mount -t overlay overlay -o "lowerdir=$RS_BUILD_ROOT,upperdir=$w/upper,workdir=$w/work" "$w/root" || return 1
        mount -t proc proc "$w/root/proc" || return 1
        mkdir -p "$w/root/build"
        tar -C "$w/root/build" -xzf "$tarball"
        v=$(basename "$tarball" .tar.gz)
        cp -a "$debian" "$w/root/build/$v/"
        chroot "$w/root" sh -c "cd /build/$v && dpkg-buildpackage -us -uc -b" >"$out/build.log" 2>&1
        local rc=$?
        cp "$w/root/build/"*.deb "$out/" 2>/dev/null
        umount "$w/root/proc" "$w/root"
        return $rc
}

# The last commit of 0.2.0, the release the Debian packages of this one
# replace (native packages; files moved between them since).
RS_PREV_RELEASE=c2fc5c7

# rs_make_debs DIR TREE-ISH|"": `make deb` of TREE-ISH (or of the tracked
# files as they are now) in a fresh git tree at DIR; the .debs land in
# DIR/build-deb, the log in DIR.log. Built once a run for the same sources:
# kept in $BUILD/debs/KEY (the commit, or a hash of the tracked files).
rs_make_debs() {
        local key cache
        if [ -n "$2" ]; then
                # A shallow clone lacks it: fetch the history once.
                git -C "$LG_ROOT" cat-file -e "$2^{commit}" 2>/dev/null ||
                        git -C "$LG_ROOT" fetch -q --unshallow >/dev/null 2>&1
                git -C "$LG_ROOT" cat-file -e "$2^{commit}" 2>/dev/null ||
                        lg_fail "commit $2 is not in this clone (a shallow clone?): needed to build the previous release"
                key=$(git -C "$LG_ROOT" rev-parse "$2^{commit}")
        else
                key=$(cd "$LG_ROOT" && git ls-files -z | xargs -0 sha256sum | sha256sum | cut -c1-40)
        fi
        cache=$LG_ROOT/$BUILD/debs/$key
        mkdir -p "$1/build-deb"
        if ls "$cache"/*.deb >/dev/null 2>&1; then
                cp "$cache"/*.deb "$1/build-deb/"
                echo "debs of $key from $cache" >"$1.log"
                return 0
        fi
        if [ -n "$2" ]; then
                git -C "$LG_ROOT" archive "$2" | tar -C "$1" -x
        else
                git -C "$LG_ROOT" ls-files -z | (cd "$LG_ROOT" && xargs -0 cp --parents -t "$1")
        fi
        (cd "$1" && git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm t) >/dev/null 2>&1
        if ! make -C "$1" deb >"$1.log" 2>&1; then
                tail -n 20 "$1.log" | sed 's/^/#   make deb: /'
                return 1
        fi
        mkdir -p "$cache"
        cp "$1"/build-deb/*.deb "$cache/"
}

rs_cleanup() {
        [ -n "$RS_NSPAWN" ] && rs_stop
        return 0
}

# rs_usable: why the real stack cannot run here, or nothing.
rs_unusable() {
        [ "$(id -u)" = 0 ] || { echo "needs root"; return 0; }
        command -v systemd-nspawn >/dev/null || { echo "systemd-nspawn missing (package systemd-container; scripts/deps.sh installs it)"; return 0; }
        [ -z "${SANITIZE:-}" ] || { echo "an ASan-built module cannot run inside the container's sshd"; return 0; }
        return 1
}

# rs_boot SUITE: boot the image; returns once PID 1 reports the system
# running (or degraded, which the caller then sees in rs_assert_clean).
rs_boot() {
        local suite=$1 w i why state
        why=$(rs_unusable) && lg_skip "real systemd stack: $why"
        rs_image "$suite"
        RS_SYSTEMD_VERSION=$(cat "$RS_IMAGE/.loginguard-ready")
        w=$LG_TMP/rs-$suite
        mkdir -p "$w"
        mount -t tmpfs -o mode=0755 tmpfs "$w" || lg_skip "cannot mount a tmpfs for the overlay"
        mkdir -p "$w/upper" "$w/work" "$w/root"
        mount -t overlay overlay -o "lowerdir=$RS_IMAGE,upperdir=$w/upper,workdir=$w/work" "$w/root" ||
                lg_skip "overlayfs unavailable: cannot boot the real stack"
        RS_ROOT=$w/root
        RS_NAME=lg$$
        SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn -q -D "$RS_ROOT" -b -M "$RS_NAME" \
                --register=no --keep-unit --private-network --console=read-only \
                --system-call-filter="pidfd_getfd" \
                >"$LG_TMP/rs-$suite.console" 2>&1 &
        RS_NSPAWN=$!
        for ((i = 0; i < 200; i++)); do
                RS_PID1=$(pgrep -P "$RS_NSPAWN" | head -n 1)
                [ -n "$RS_PID1" ] && nsenter -t "$RS_PID1" -m test -S /run/systemd/private 2>/dev/null && break
                kill -0 "$RS_NSPAWN" 2>/dev/null || break
                sleep 0.05
        done
        if ! kill -0 "$RS_NSPAWN" 2>/dev/null || [ -z "$RS_PID1" ]; then
                tail -n 20 "$LG_TMP/rs-$suite.console" | sed 's/^/# /'
                RS_NSPAWN=""
                lg_skip "systemd-nspawn could not boot the $suite image here (console above)"
        fi
        state=$(timeout 60 nsenter -t "$RS_PID1" -a systemctl is-system-running --wait 2>&1)
        rs_start_agent
        lg_log "real stack: $suite, systemd $RS_SYSTEMD_VERSION as PID 1 (host pid $RS_PID1): $state"
        trap 'rs_cleanup; lg_cleanup' EXIT
}

rs_exec() { nsenter -t "$RS_PID1" -a -- "$@"; }

# The container's files as its own processes see them (its /run included).
rs_path() { printf '/proc/%s/root%s\n' "$RS_PID1" "$1"; }

# guardd's status inside the container.
rs_status_key() { sed -n "s/^$1=//p" "$(rs_path /run/loginguard/status)" 2>/dev/null | head -n 1; }
# rs_status_snapshot: the whole status as guardd last wrote it, for keys
# that must come from one round (lg_kv "$snap" KEY); guardd replaces the
# file by rename, so one read is one round's.
rs_status_snapshot() { cat "$(rs_path /run/loginguard/status)" 2>/dev/null; }

rs_wait_status_ge() { lg_wait_key_ge rs_status_key "$@"; } # KEY N TIMEOUT_S
rs_wait_status() { lg_wait_key rs_status_key "$@"; }       # KEY VALUE TIMEOUT_S

# rs_run CMD...: CMD in the container as a child of the test agent, a
# service of the container's PID 1 started at boot. systemd-run --wait would
# go through the system bus and hang with dbus-daemon frozen, and any
# systemd-run hangs with PID 1 stopped: the agent needs neither. Prints
# CMD's output; returns its exit status (124 after RS_RUN_CAP seconds).
rs_run() {
        local id d i n script rc
        # Callers run this in $(...) too: the id must not depend on a counter.
        id=$(date +%s%N).$BASHPID
        d=$(rs_path /run/lg-agent)
        script=$(printf '%q ' "$@")
        printf '%s\n' "$script" >"$d/$id.sh"
        printf '%s\n' "$id" >"$d/req"
        n=$((${RS_RUN_CAP:-180} * 100))
        for ((i = 0; i < n; i++)); do
                if [ -e "$d/$id.rc" ]; then
                        cat "$d/$id.out"
                        rc=$(cat "$d/$id.rc")
                        rm -f "$d/$id.sh" "$d/$id.out" "$d/$id.rc"
                        return "$rc"
                fi
                sleep 0.01
        done
        echo "rs_run: no answer from the container after ${RS_RUN_CAP:-180} s: $script"
        return 124
}

# The agent: reads request ids from a FIFO and runs each request's script
# in the background, with its output and exit status in files.
rs_start_agent() {
        local i
        mkdir -p "$RS_ROOT$RS_TOOLS"
        cat >"$RS_ROOT$RS_TOOLS/agent.sh" <<'AGENT'
#!/bin/bash
d=/run/lg-agent
mkdir -p "$d"
rm -f "$d/req"
mkfifo -m 0600 "$d/req"
exec 3<>"$d/req"
touch "$d/ready"
while read -r id <&3; do
        (bash "$d/$id.sh" >"$d/$id.out" 2>&1 </dev/null; echo $? >"$d/$id.rc.tmp"; mv "$d/$id.rc.tmp" "$d/$id.rc") &
done
AGENT
        rs_exec systemd-run --quiet --unit=lg-agent --service-type=exec \
                -p KillMode=mixed /bin/bash "$RS_TOOLS/agent.sh" ||
                lg_skip "cannot start the test agent in the container"
        for ((i = 0; i < 200; i++)); do
                [ -e "$(rs_path /run/lg-agent/ready)" ] && return 0
                sleep 0.02
        done
        lg_skip "the test agent did not start in the container"
}

rs_hostpid() { # CPID -> host PID
        local p ns
        ns=$(readlink "/proc/$RS_PID1/ns/pid")
        for p in /proc/[0-9]*; do
                [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] || continue
                if awk -v c="$1" '$1 == "NSpid:" && $NF == c { f = 1 } END { exit !f }' "$p/status" 2>/dev/null; then
                        echo "${p#/proc/}"
                        return 0
                fi
        done
        return 1
}

rs_unit_hostpid() { # UNIT -> host PID of its main process
        local c
        c=$(rs_exec systemctl show -P MainPID "$1")
        [ -n "$c" ] && [ "$c" != 0 ] || return 1
        rs_hostpid "$c"
}

# rs_install: loginguard as a package would put it (make install
# DESTDIR=), and the test tools under $RS_TOOLS.
rs_install() {
        make -C "$LG_ROOT" --no-print-directory -s install DESTDIR="$RS_ROOT" prefix=/usr \
                BUILD="$BUILD" >"$LG_TMP/rs-install.log" 2>&1 || {
                sed 's/^/# /' "$LG_TMP/rs-install.log"
                lg_fail "make install DESTDIR=$RS_ROOT failed"
                lg_done
        }
        mkdir -p "$RS_ROOT$RS_TOOLS/pam.d"
        cp "$B/tests/pam-driver" "$B/tests/status-tool" "$RS_ROOT$RS_TOOLS/"
}

# rs_up SUITE: the usual start of a test: boot SUITE, install loginguard,
# wrap common-session with loginguard-pam.
rs_up() {
        rs_boot "$1"
        rs_install
        rs_exec loginguard-pam enable >/dev/null 2>&1
}

# rs_pam_service NAME LINE...: a PAM service for the driver in the container.
rs_pam_service() {
        local name=$1
        shift
        printf '%s\n' "$@" >"$RS_ROOT$RS_TOOLS/pam.d/$name"
}

# rs_driver SERVICE [CAP_S] [ARGS...]: one login through the PAM driver as a
# service of the container's PID 1 -> OUT (key=value lines). Killed at CAP_S.
rs_driver() {
        local service=$1 cap=${2:-60}
        shift 2 2>/dev/null || shift
        OUT=$(rs_run timeout -s KILL "$cap" "$RS_TOOLS/pam-driver" --confdir "$RS_TOOLS/pam.d" \
                --service "$service" "$@" 2>&1)
}

# rs_ssh USER CMD: a real ssh login to the container's sshd -> OUT, MS.
rs_ssh() {
        local t0
        t0=$(date +%s%N)
        OUT=$(rs_run timeout -s KILL "${RS_SSH_CAP:-60}" ssh "$1@127.0.0.1" "$2" 2>&1)
        MS=$((($(date +%s%N) - t0) / 1000000))
}

# rs_breaker KEY: a field of the breaker file, read inside the container
# (nspawn gives the container a boot id of its own, which the file carries).
rs_breaker() {
        rs_exec "$RS_TOOLS/status-tool" breaker /run/loginguard/breaker-pam_systemd | sed -n "s/^$1=//p"
}

rs_freeze_unit() { # UNIT -> RS_FROZEN (host pid), SIGSTOPped from the host
        RS_FROZEN=$(rs_unit_hostpid "$1") || { lg_fail "no main process for $1"; return 1; }
        kill -STOP "$RS_FROZEN"
}

rs_thaw() { kill -CONT "${1:-$RS_FROZEN}"; }

# rs_row SCENARIO TIME NOTE: a row for make demo's table, naming the stack.
rs_row() { lg_log "row|systemd ${RS_SYSTEMD_VERSION%%.*} (real)|$1|$2|$3"; }

# rs_settle: give the stack time to finish what a thaw released (stale
# requests, scope jobs) before looking for leftovers.
rs_settle() { sleep "${1:-3}"; rs_exec systemctl is-system-running --wait >/dev/null 2>&1; }

# rs_assert_clean WHAT [ALLOWED_SESSIONS]: no session left but ALLOWED, no
# session scope left, no failed unit, the system not degraded.
rs_assert_clean() {
        local what=$1 allowed=${2:-0} sessions scopes failed state
        # systemd 256+ gives each user manager a session of class "manager"
        # that outlives the last login by UserStopDelaySec: not a leftover.
        sessions=$(rs_exec loginctl list-sessions --no-legend 2>/dev/null | awk 'NF && $0 !~ / manager /' | wc -l)
        scopes=$(rs_exec systemctl list-units --all --no-legend --plain 'session-*.scope' 2>/dev/null | awk 'NF')
        failed=$(rs_exec systemctl list-units --failed --no-legend --plain 2>/dev/null | awk 'NF')
        state=$(rs_exec systemctl is-system-running 2>/dev/null)
        lg_assert_eq "$sessions" "$allowed" "$what: logind lists $allowed session(s)"
        if [ "$allowed" = 0 ]; then
                lg_assert_eq "$(printf '%s' "$scopes" | awk 'NF' | wc -l)" 0 "$what: no session scope left (abandoned or failed)"
                [ -z "$scopes" ] || printf '%s\n' "$scopes" | sed 's/^/#   /'
        fi
        lg_assert_eq "$(printf '%s' "$failed" | awk 'NF' | wc -l)" 0 "$what: no failed unit"
        [ -z "$failed" ] || printf '%s\n' "$failed" | sed 's/^/#   /'
        lg_assert_eq "$state" running "$what: systemctl is-system-running"
}

# rs_stop: power off; a stopped PID 1 or unit is continued first.
rs_stop() {
        local i
        [ -n "$RS_NSPAWN" ] || return 0
        [ -n "$RS_PID1" ] && kill -CONT "$RS_PID1" 2>/dev/null
        [ -n "${RS_FROZEN:-}" ] && kill -CONT "$RS_FROZEN" 2>/dev/null
        kill -TERM "$RS_NSPAWN" 2>/dev/null
        for ((i = 0; i < 200; i++)); do
                kill -0 "$RS_NSPAWN" 2>/dev/null || break
                sleep 0.05
        done
        kill -KILL "$RS_NSPAWN" 2>/dev/null
        wait "$RS_NSPAWN" 2>/dev/null
        RS_NSPAWN=""
        # The overlay and its tmpfs, so that the harness can remove $LG_TMP.
        umount -l "$RS_ROOT" 2>/dev/null
        umount -l "$(dirname "$RS_ROOT")" 2>/dev/null
}
