#!/usr/bin/env bash
# bench/wait.sh PORTALLOC OUT.md [TRIALS]: how soon `get --wait` takes a
# port once it is released (issue 18: within 100 ms).  Each trial fills a
# one-port block, starts a waiter, waits until the waiter says it waits,
# then releases the port and times release -> the waiter's exit (the
# waiter's own exit included).  Run it in a network namespace of its own
# (run.sh does: unshare -n); it writes a markdown table to OUT.md.
set -euo pipefail
pa=$1 out=$2 trials=${3:-20}
work=$(mktemp -d)
holder=
trap '[ -z "$holder" ] || kill "$holder" 2>/dev/null; rm -rf "$work"' EXIT
ip link set lo up 2>/dev/null || true
export PORTALLOC_STORE=$work/leases.db PORTALLOC_CONFIG=$work/p.ini
printf '[block w]\nports = 21000\n' >"$PORTALLOC_CONFIG"
sleep 3600 &
holder=$!
now_us() { echo $(( $(date +%s%N) / 1000 )); }
: >"$work/lat"
for _ in $(seq 1 "$trials"); do
  "$pa" get --owner "$holder" >/dev/null
  "$pa" get --wait 30s >"$work/out" 2>"$work/err" &
  w=$!
  until grep -F waiting "$work/err" >/dev/null 2>&1; do
    kill -0 "$w" 2>/dev/null || { echo "waiter died: $(cat "$work/err")" >&2; exit 1; }
    sleep 0.01
  done
  t0=$(now_us)
  "$pa" release 21000 >/dev/null 2>&1
  wait "$w"
  t1=$(now_us)
  echo $(( (t1 - t0) / 1000 )) >>"$work/lat"
  "$pa" release 21000 >/dev/null 2>&1
done
sort -n "$work/lat" >"$work/sorted"
med=$(sed -n "$(( (trials + 1) / 2 ))p" "$work/sorted")
min=$(head -n1 "$work/sorted") max=$(tail -n1 "$work/sorted")
verdict=missed
[ "$med" -le 100 ] && verdict=met
{
  echo
  echo "## get --wait: from a release to the waiter's exit ($trials trials)"
  echo
  echo "| median | min | max | target: median within 100 ms |"
  echo "|---|---|---|---|"
  echo "| $med ms | $min ms | $max ms | $verdict |"
} >"$out"
cat "$out"
