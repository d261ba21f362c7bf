#!/usr/bin/env bash
# Configures tests/ctest-module with cmake/PortallocCTest.cmake (or, with
# USE_PACKAGE=1 and PORTALLOC_PREFIX, an installed package found through
# portalloc_DIR), runs its nine tests at once with ctest -j9, and checks
# that each got its ports, no port went to two tests, and no lease is left.
# usage: run.sh SOURCE_DIR PORTALLOC_BIN   (run it under tests/netns.sh)
set -euo pipefail
src=$1 bin=$2
. "$src/tests/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp XDG_CONFIG_HOME=$tmp/xdg PORTALLOC_STORE=$tmp/l.db
export PORTALLOC_CONFIG=$tmp/p.ini
printf '[block ct]\nports = %s\n' "$(pa_free_range 40)" > "$PORTALLOC_CONFIG"
mkdir "$tmp/out"
args=(-DOUT_DIR="$tmp/out")
if [ "${USE_PACKAGE:-0}" = 1 ]; then
  # Only the CTest function: no pkg-config, no inih or SQLite headers, and
  # the executable found from the package's own prefix.
  args+=(-DUSE_PACKAGE=ON
    -Dportalloc_DIR="$(dirname "$(find "$PORTALLOC_PREFIX" -name portallocConfig.cmake)")"
    -DPKG_CONFIG_EXECUTABLE=/nonexistent/pkg-config)
else
  args+=(-DCMAKE_MODULE_PATH="$src/cmake" -DPORTALLOC_EXECUTABLE="$bin")
fi
cmake -S "$src/tests/ctest-module" -B "$tmp/build" "${args[@]}" >"$tmp/log" 2>&1 ||
  { cat "$tmp/log" >&2; exit 1; }
cmake --build "$tmp/build" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
ctest --test-dir "$tmp/build" -j9 --output-on-failure >"$tmp/log" 2>&1 ||
  { cat "$tmp/log" >&2; exit 1; }
[ "$(ls "$tmp/out" | wc -l)" -eq 9 ] || { echo "not 9 results" >&2; exit 1; }
all=$(cat "$tmp/out"/* | tr ' ' '\n')
[ "$(echo "$all" | wc -l)" -eq 26 ] || { echo "not 26 ports: $all" >&2; exit 1; }
dup=$(echo "$all" | sort | uniq -d)
[ -z "$dup" ] || { echo "a port went to two tests: $dup" >&2; exit 1; }
[ "$("$bin" list --json)" = "[]" ] || { echo "leases left" >&2; exit 1; }
echo "ctest module: 9 tests, 26 distinct ports, no lease left"
