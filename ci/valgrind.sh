#!/usr/bin/env bash
# Runs the built CLI (default build-vg/portalloc, a dynamic build: valgrind
# cannot replace the allocator of a static one) under valgrind memcheck for
# get, list, release, who, check, config, gc and exec against a temporary
# store; any memcheck report (errors or definite/indirect leaks) fails.
# valgrind's own notes (lines "--PID-- ...", e.g. that it does not know
# pidfd_open, which portalloc then does without) are shown, not failed on.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(realpath "${1:-build-vg/portalloc}")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
. tests/lib.sh
range=$(pa_free_range 20)
first=${range%-*} last=${range#*-}
cat >"$dir/portalloc.ini" <<INI
[portalloc]
lease_ttl = 1h
[block v]
ports = $range
INI
export PORTALLOC_CONFIG="$dir/portalloc.ini" PORTALLOC_STORE="$dir/leases.db"
export HOME="$dir"
vg=(valgrind -q --error-exitcode=99 --leak-check=full
  --errors-for-leak-kinds=definite,indirect --track-fds=no)

n=0
run() {  # run EXPECTED-EXIT ARGS...
  local want=$1 rc=0
  shift
  "${vg[@]}" --log-file="$dir/vg.$n" "$bin" "$@" >"$dir/out" 2>&1 || rc=$?
  grep -v '^--[0-9]*-- ' "$dir/vg.$n" >"$dir/report" || true
  if [ "$rc" -ne "$want" ] || [ -s "$dir/report" ]; then
    echo "valgrind: portalloc $*: exit $rc (wanted $want)" >&2
    cat "$dir/out" "$dir/vg.$n" >&2
    exit 1
  fi
  n=$((n + 1))
}

run 0 get -n 3 --tag vg
run 0 get -n 2 --format env
run 0 get --json --consecutive -n 2
run 0 list
run 0 list --json
run 1 who "$first/tcp"
run 1 who "$last"          # nobody holds it: exit 1, like fuser
run 0 check
run 0 check --json
run 0 config
run 0 config --json
run 0 release --tag vg
run 0 gc
run 0 exec -n 2 -- sh -c 'test -n "$PORTALLOC_PORT1"'
run 0 release --mine
run 2 get --count 0         # usage error paths too
run 65 get --owner 999999999
run 0 get -n 18 --tag full
run 69 get -n 3
echo "valgrind: $n portalloc runs, no reports"
