#!/usr/bin/env bash
# get --wait (issue 18): a full block makes a waiter say once what it waits
# for, then take a port as soon as one is released; a waiter whose time runs
# out exits 69 like a get without --wait.  No fixed sleeps: the test waits
# for the waiter's own words before it releases.
# usage: test_wait.sh SOURCE_DIR PORTALLOC_BIN   (under tests/netns.sh)
set -euo pipefail
src=$(cd "$1" && pwd) pa=$(realpath "$2")
. "$src/tests/lib.sh"
tmp=$(mktemp -d)
holder=
trap '[ -z "$holder" ] || kill "$holder" 2>/dev/null; rm -rf "$tmp"' EXIT
export HOME=$tmp XDG_CONFIG_HOME=$tmp/xdg PORTALLOC_STORE=$tmp/leases.db
range=$(pa_free_range 2)
printf '[block w]\nports = %s\n' "$range" >"$tmp/p.ini"
cfg=(-c "$tmp/p.ini")
fail() { echo "test_wait: $*" >&2; exit 1; }

# A process that owns the whole block while the test runs.
sleep 600 &
holder=$!
"$pa" "${cfg[@]}" get -n 2 --owner "$holder" >"$tmp/held"
first=$(head -n1 "$tmp/held")

# Time runs out: 69, and the waiting was said once.
set +e
"$pa" "${cfg[@]}" get --wait 1s >"$tmp/out1" 2>"$tmp/err1"
rc=$?
set -e
[ "$rc" -eq 69 ] || fail "a waiter out of time exited $rc, not 69"
[ "$(grep -c 'waiting for 1 port' "$tmp/err1")" -eq 1 ] ||
  fail "waiting not said once: $(cat "$tmp/err1")"
[ ! -s "$tmp/out1" ] || fail "a waiter out of time printed $(cat "$tmp/out1")"

# A release wakes the waiter, which gets the port and exits 0.
"$pa" "${cfg[@]}" get --wait 60s >"$tmp/out2" 2>"$tmp/err2" &
waiter=$!
for _ in $(seq 1 600); do
  grep -F 'waiting for 1 port' "$tmp/err2" >/dev/null && break
  kill -0 "$waiter" 2>/dev/null || break
  sleep 0.05
done
grep -F 'waiting for 1 port' "$tmp/err2" >/dev/null ||
  fail "the waiter did not say it waits: $(cat "$tmp/err2")"
"$pa" "${cfg[@]}" release "$first" >/dev/null 2>&1
wait "$waiter" || fail "the waiter exited $? after the release"
[ "$(cat "$tmp/out2")" = "$first" ] ||
  fail "the waiter got '$(cat "$tmp/out2")', not the released $first"

# --wait 0 is no duration: usage error.
set +e
"$pa" "${cfg[@]}" get --wait 0 >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "--wait 0 exited $rc, not 2"
echo "test_wait: out of time 69, woken by a release, --wait 0 refused"
