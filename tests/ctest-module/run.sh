#!/usr/bin/env bash
# Configures tests/ctest-module with cmake/PortallocCTest.cmake, runs its
# eight tests at once with ctest -j8, and checks that each got 3 ports, no
# port went to two tests, and no lease is left afterwards.
# usage: run.sh SOURCE_DIR PORTALLOC_BIN
set -euo pipefail
src=$1 bin=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp XDG_CONFIG_HOME=$tmp/xdg PORTALLOC_STORE=$tmp/l.db
export PORTALLOC_CONFIG=$tmp/p.ini
printf '[block ct]\nports = 27260-27299\n' > "$PORTALLOC_CONFIG"
mkdir "$tmp/out"
cmake -S "$src/tests/ctest-module" -B "$tmp/build" \
  -DCMAKE_MODULE_PATH="$src/cmake" -DPORTALLOC_EXECUTABLE="$bin" \
  -DOUT_DIR="$tmp/out" >/dev/null
ctest --test-dir "$tmp/build" -j8 --output-on-failure >/dev/null
[ "$(ls "$tmp/out" | wc -l)" -eq 8 ] || { echo "not 8 results" >&2; exit 1; }
all=$(cat "$tmp/out"/* | tr ' ' '\n')
[ "$(echo "$all" | wc -l)" -eq 24 ] || { echo "not 24 ports" >&2; exit 1; }
[ -z "$(echo "$all" | sort | uniq -d)" ] ||
  { echo "a port went to two tests: $(echo "$all" | sort | uniq -d)" >&2; exit 1; }
[ "$("$bin" list --json)" = "[]" ] || { echo "leases left" >&2; exit 1; }
echo "ctest module: 8 tests, 24 distinct ports, no lease left"
