#!/usr/bin/env bash
# Runs build-win's tests under Wine (ci/test.sh calls it, in a network
# namespace of its own when root: the Windows tests bind real ports, some
# of them fixed in test_win_resv's fake reservations, and Wine's sockets
# and owner tables then see no other program's).
#
# A Wine prefix of this build's own: another checkout's tests may run at the
# same time, and `wineserver -k` must stop only ours.  wineserver and
# wineboot start first, inside the namespace (the server makes the
# sockets), with their output away from ctest's pipes, which Wine's
# background processes would otherwise keep open (ctest then hangs).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -eq 0 ] && [ "${PORTALLOC_IN_NETNS:-}" = 1 ]; then
  ip link set lo up
fi
export WINEDEBUG=-all WINEPREFIX="$PWD/build-win/wineprefix"
mkdir -p "$WINEPREFIX"
trap 'wineserver -k </dev/null >/dev/null 2>&1 || true' EXIT
wineserver -p </dev/null >/dev/null 2>&1
wineboot -i </dev/null >/dev/null 2>&1
ctest --test-dir build-win --timeout 120 --output-on-failure
