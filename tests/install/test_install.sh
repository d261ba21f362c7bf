#!/usr/bin/env bash
# Installs the build tree ($1) into a staging prefix inside it, then builds
# examples/harness.c ($2 is the source tree) against that install twice -
# with pkg-config and with find_package(portalloc) - and runs both: each
# must print 2 ports and leave no lease behind.  With a shared library
# installed, also links it dynamically through pkg-config.
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
stage=$build/install-test
rm -rf "$stage"
mkdir -p "$stage"
cmake --install "$build" --prefix "$stage/prefix" >/dev/null
export HOME=$stage XDG_CONFIG_HOME=$stage/xdg PORTALLOC_STORE=$stage/leases.db
export PORTALLOC_CONFIG=$stage/portalloc.ini
printf '[block h]\nports = 27100-27119\n' >"$PORTALLOC_CONFIG"
pc=$(find "$stage/prefix" -name portalloc.pc)
[ -n "$pc" ] || { echo "no portalloc.pc installed" >&2; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")

# run_harness BINARY: 2 ports in the block, none left leased.
run_harness() {
  local out
  out=$("$1")
  echo "$1: $(echo $out)"
  [ "$(echo "$out" | grep -cE '^271[01][0-9]$')" -eq 2 ] ||
    { echo "expected 2 ports, got: $out" >&2; exit 1; }
  [ "$("$stage/prefix/bin/portalloc" list --json)" = "[]" ] ||
    { echo "leases left behind" >&2; exit 1; }
}

# The static library: its link dependencies come from pkg-config --static.
# Where libportalloc.so is installed next to it, -lportalloc would pick that,
# so ask for the archive by name (GNU ld's -l:FILE).
shared=$(find "$stage/prefix" -name 'libportalloc.so*' | head -n1)
libs=$(pkg-config --libs --static portalloc)
[ -z "$shared" ] || libs=${libs/-lportalloc/-l:libportalloc.a}
# shellcheck disable=SC2046,SC2086 # word splitting of flags is meant
cc -o "$stage/harness-pc" "$src/examples/harness.c" \
  $(pkg-config --cflags portalloc) $libs
run_harness "$stage/harness-pc"

cmake -S "$src/tests/install/consumer" -B "$stage/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$stage/prefix" \
  -DHARNESS_SOURCE="$src/examples/harness.c" >/dev/null
cmake --build "$stage/consumer" >/dev/null
run_harness "$stage/consumer/harness"

if [ -n "$shared" ]; then
  libdir=$(pkg-config --variable=libdir portalloc)
  # shellcheck disable=SC2046
  cc -o "$stage/harness-so" "$src/examples/harness.c" \
    $(pkg-config --cflags --libs portalloc) -Wl,-rpath,"$libdir"
  ldd "$stage/harness-so" | grep -q libportalloc.so ||
    { echo "harness-so is not linked to libportalloc.so" >&2; exit 1; }
  run_harness "$stage/harness-so"
fi
echo "install: ok"
