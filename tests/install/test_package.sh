#!/usr/bin/env bash
# The installed package as a newcomer meets it (issue 17): installs the
# build tree ($1; source tree $2) into a staging prefix, then
#  - a CTest project that wants only portalloc_add_test finds it through
#    portalloc_DIR alone, with no pkg-config (COMPONENTS ctest), and the
#    portalloc executable from the package's prefix;
#  - `cc harness.c $(pkg-config --cflags --libs --static portalloc)` links
#    a program that runs, shared library installed or not;
#  - portalloc-static.pc links the archive, never libportalloc.so.
# Run it under tests/netns.sh.
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
. "$src/tests/lib.sh"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cmake --install "$build" --prefix "$stage/prefix" >/dev/null
export PORTALLOC_PREFIX=$stage/prefix

USE_PACKAGE=1 PATH=/usr/bin:/bin bash "$src/tests/ctest-module/run.sh" \
  "$src" "$stage/prefix/bin/portalloc"

export HOME=$stage XDG_CONFIG_HOME=$stage/xdg PORTALLOC_STORE=$stage/leases.db
export PORTALLOC_CONFIG=$stage/portalloc.ini
printf '[block h]\nports = %s\n' "$(pa_free_range 20)" >"$PORTALLOC_CONFIG"
export PKG_CONFIG_PATH=$(dirname "$(find "$stage/prefix" -name portalloc.pc)")

# run_harness BINARY: 2 ports, none left leased.
run_harness() {
  local out
  out=$("$1")
  [ "$(echo "$out" | grep -cE '^[0-9]+$')" -eq 2 ] ||
    { echo "$1: expected 2 ports, got: $out" >&2; exit 1; }
  [ "$("$stage/prefix/bin/portalloc" list --json)" = "[]" ] ||
    { echo "$1: leases left behind" >&2; exit 1; }
  echo "$1: ok"
}

# shellcheck disable=SC2046 # word splitting of flags is meant
cc -o "$stage/harness-static-flag" "$src/examples/harness.c" \
  $(pkg-config --cflags --libs --static portalloc)
run_harness "$stage/harness-static-flag"

# shellcheck disable=SC2046
cc -o "$stage/harness-archive" "$src/examples/harness.c" \
  $(pkg-config --cflags --libs portalloc-static)
readelf -d "$stage/harness-archive" >"$stage/dyn"
if grep -F libportalloc "$stage/dyn" >/dev/null; then
  echo "portalloc-static.pc linked libportalloc.so" >&2
  exit 1
fi
run_harness "$stage/harness-archive"
echo "package: ok"
