#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# make compat: run tests/e2e/test-newer-systemd.sh against the Debian
# chroots (scripts/chroots.sh) and rewrite docs/COMPATIBILITY.md with the
# versions proven and the measured stock vs guarded times.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
out=$(mktemp)
LG_COMPAT_OUT=$out bash tests/e2e/test-newer-systemd.sh
rc=$?
{
cat <<'HDR'
<!-- SPDX-License-Identifier: LGPL-2.1-or-later -->
# Compatibility

pam_loginguard cuts a stuck call by shutting down the sockets the wrapped module opened,
without knowing the wrapped module's internals, so the same build covers pam_systemd over
D-Bus (systemd up to 257) and over Varlink (258 and later, `/run/systemd/io.systemd.Login`,
which PID 1 keeps listening so that a wedged logind still accepts the connection).

## How it is proven

- systemd 252 (Debian 12, this build machine): every test of `make check` runs the
  distribution's pam_systemd (tests/pam, tests/e2e with real sshd, su and cron).
- systemd 257 and 258+: `make compat` (scripts/compat.sh) builds minimal Debian chroots for
  trixie and sid with debootstrap (scripts/chroots.sh, cached in
  /var/cache/loginguard/chroots), installs their libpam-systemd, copies in the module and
  the PAM driver built on Debian 12, and runs tests/e2e/test-newer-systemd.sh: the logind
  double serves the D-Bus interface and, for 258+, the Varlink interface
  `io.systemd.Login` (CreateSession, ReleaseSession) as pam_systemd calls it. The same test
  runs in `make check` when the chroots can be built (it skips with the reason otherwise).

Each row: a healthy login is registered through the wrapped module; with the double frozen
(SIGSTOP) stock pam_systemd is still blocked at a 5 s cap, the first guarded login returns
at the deadline (1000 ms here) with `LOGINGUARD_FALLBACK=deadline`, and after two cuts
the breaker skips at once.

| Debian | pam_systemd | transport | stock, logind frozen | guarded, first login | guarded, breaker open |
| --- | --- | --- | --- | --- | --- |
| bookworm | 252 | D-Bus | > 10 s (killed; waits 120 s) | deadline + ~2 ms | ~0.2 ms (see BENCHMARKS.md) |
HDR
while IFS='|' read -r suite version via stock first skip; do
        case $via in
        varlink) t="Varlink" ;;
        *) t="D-Bus" ;;
        esac
        [ "$via" = dbus ] && grep -q "^$suite|[^|]*|varlink" "$out" && t="D-Bus fallback (no Varlink socket)"
        case $stock in *killed*) stock="> 5 s (killed; waits 120 s)" ;; *) stock="$stock ms" ;; esac
        [ "$skip" = 0 ] && skip="< 1"
        echo "| $suite | $version | $t | $stock | $first ms | $skip ms |"
done <"$out"
cat <<'RS'

## On the real stack (systemd as PID 1)

`tests/realstack/` boots each suite's systemd as PID 1 in systemd-nspawn, with its real
logind, dbus-daemon, journald and sshd, loginguard installed by `make install DESTDIR=` and
guardd.service running (`make check`; the images are cached in
/var/cache/loginguard/realstack). What the real logind does that the double does not:

| systemd | finding | test |
| --- | --- | --- |
| 252 (bookworm) | logind writes `/run/systemd/sessions/ID` with `LEADER=` ~0.5 s after taking CreateSession but answers only after PID 1 started the scope and `user@UID.service`; the module waits (`patience`) instead of cutting such a call, so a slow user manager no longer leaves an abandoned scope or gets the login killed under KillUserProcesses=yes | test-rs-slow-user.sh, test-rs-logins.sh |
| 252 | pam_systemd first asks PID 1 over Varlink (`/run/systemd/userdb/io.systemd.DynamicUser`); with PID 1 stopped every login hangs there, so the module skips when /proc/1/stat says T and guardd names PID 1 | test-rs-pid1.sh |
| 252 | stock waits: logind frozen 120 s (open_session), dbus-daemon frozen 90 s, close_session with logind frozen 25 s (docs/BENCHMARKS.md) | bench/realstack.sh |
| 252 | a bulk unmount of 8,000 mounts keeps PID 1 at ~100% CPU for ~14 s and holds stock logins that long; guardd names PID 1 and its unmounts | test-rs-incidents.sh |
| 257 (trixie) | a login cut while logind is frozen is not registered later: when logind continues it finds the client gone and drops the request; nothing is left | test-rs-newer.sh |
| 262 (sid, Varlink) | a login cut while logind is frozen **is** registered late: when logind continues it reads the buffered request from the Varlink socket and creates the session for the caller's pidfd. The login is not killed (it is already running) and the session is removed at its logout; nothing is left. `XDG_SESSION_ID` is not set in that login, since pam_systemd had returned | test-rs-newer.sh |
| 262 | with dbus-daemon frozen pam_systemd still blocks (it asks the bus before and after the Varlink call); the deadline cuts it and nothing is left | test-rs-newer.sh |
RS
cat <<FTR

Measured on $(date -u +%Y-%m-%d), $(nproc) cores, kernel $(uname -r) (\`make compat\`).
FTR
} >docs/COMPATIBILITY.md
rm -f "$out"
cat docs/COMPATIBILITY.md
exit $rc
