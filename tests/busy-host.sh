#!/usr/bin/env bash
# The suite on a busy host (issue 17): runs ctest RUNS times in a row while
# a loopback load holds ports 25996-27999 on the host's own network
# (bench/load.c: listeners and established pairs, as a busy CI machine has)
# and a second copy of the suite runs beside it in a loop (on the host's
# network, not in namespaces of their own), and reports how many runs
# passed and which tests failed.  Not part of ci/test.sh: it takes
# RUNS times the suite's time and loads the machine on purpose.
#
# usage: tests/busy-host.sh [BUILD_DIR] [RUNS]
#   BUILD_DIR   a configured and built tree (default build)
#   RUNS        runs in a row (default 10)
# PORTALLOC_CRASH_TRIALS and PORTALLOC_SOAK_CYCLES shorten the two long
# tests (test_crash, test_stress) where the machine is small; test_deb
# (installs a package) and test_python (pip) are left out: two copies of
# them cannot share one machine by design.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
runs=${2:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
exclude='test_deb|test_python'
work=$(mktemp -d /tmp/portalloc-busy.XXXXXX)
load_pid=
beside_pid=

cleanup() {
  exec 3>&- 2>/dev/null || true         # the load ends when stdin closes
  if [ -n "$beside_pid" ]; then
    kill -- "-$beside_pid" 2>/dev/null || true
    wait "$beside_pid" 2>/dev/null || true
  fi
  if [ -n "$load_pid" ]; then
    kill "$load_pid" 2>/dev/null || true
    wait "$load_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# 1. The loopback load: 12 processes x 167 listeners = 25996-27999, each
# with 25 established connections to itself; port 28100 shared by two.
cc -O2 -o "$work/load" "$src/bench/load.c"
mkfifo "$work/ctl"
"$work/load" 12 167 25 25996 28100 <"$work/ctl" >"$work/load.out" &
load_pid=$!
exec 3>"$work/ctl"
for _ in $(seq 1 300); do                # at most 30 s
  if grep -q ready "$work/load.out"; then break; fi  # a file: no pipe
  kill -0 "$load_pid" 2>/dev/null || break
  sleep 0.1
done
grep -q ready "$work/load.out" || { echo "busy-host: the load did not start" >&2; exit 1; }
held=$(ss -Htln '( sport >= :25996 and sport <= :27999 )' | wc -l)
echo "busy-host: loopback load up: $held listeners on 25996-27999" >&2

# 2. Another copy of the suite, in a loop, in a process group of its own,
# on the host's network (PORTALLOC_TEST_HOST_NET): its tests lease their
# ports from the tests' shared store, as they do where there is no root,
# and so compete with the load for real.
PORTALLOC_TEST_HOST_NET=1 setsid bash -c '
  n=0
  while :; do
    n=$((n + 1))
    if ctest --test-dir "$1" -j2 -E "$2" --output-on-failure \
        >"$3/beside.$n.log" 2>&1; then
      echo "beside run $n: passed" >>"$3/beside.txt"
    else
      echo "beside run $n: FAILED" >>"$3/beside.txt"
      cp "$3/beside.$n.log" "$1/busy-host-beside.$n.log"
    fi
  done' busy-beside "$build" "$exclude" "$work" &
beside_pid=$!

# 3. The runs that count.
passed=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if ctest --test-dir "$build" -j2 -E "$exclude" --output-on-failure \
      >"$work/run.$i.log" 2>&1; then
    passed=$((passed + 1))
    verdict=passed
  else
    verdict="FAILED: $(sed -n 's/^[[:space:]]*[0-9]* - \(test_[a-z_0-9]*\).*/\1/p' \
      "$work/run.$i.log" | tr '\n' ' ')"
    cp "$work/run.$i.log" "$build/busy-host-run.$i.log"  # kept
  fi
  echo "busy-host: run $i/$runs: $verdict ($(( $(date +%s) - start )) s)" >&2
done
beside=$(cat "$work/beside.txt" 2>/dev/null || true)
echo "busy-host: the copy beside: ${beside:-no run finished}" | tr '\n' ';' >&2
echo >&2
echo "busy-host: $passed of $runs runs passed under the load"
[ "$passed" -eq "$runs" ]
