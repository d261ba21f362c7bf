#!/usr/bin/env bash
# Installs the build tree ($1) into a staging prefix inside it, then builds
# examples/harness.c ($2 is the source tree) against that install twice -
# with pkg-config and with find_package(portalloc) - and runs both: each
# must print 2 ports and leave no lease behind.  With a shared library
# installed, also links it dynamically through pkg-config.
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
# a stage of its own: another run of the suite may use the same build
stage=$(mktemp -d "$build/install-test.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cmake --install "$build" --prefix "$stage/prefix" >/dev/null
export HOME=$stage XDG_CONFIG_HOME=$stage/xdg PORTALLOC_STORE=$stage/leases.db
export PORTALLOC_CONFIG=$stage/portalloc.ini
# Block h: 20 ports free now.  ctest runs this in a network namespace of
# its own (tests/netns.sh) where root allows; elsewhere a scratch store
# over a wide range finds them (its probes bind every port it gives).
first=27100
if [ "${PORTALLOC_IN_NETNS:-}" != 1 ]; then
  printf '[block scout]\nports = 27100-27999\n' >"$stage/scout.ini"
  found=$(PORTALLOC_CONFIG=$stage/scout.ini PORTALLOC_STORE=$stage/scout.db \
    "$stage/prefix/bin/portalloc" get -n 20 --consecutive --owner $$)
  first=${found%%$'\n'*}
fi
last=$((first + 19))
printf '[block h]\nports = %s-%s\n' "$first" "$last" >"$PORTALLOC_CONFIG"
pc=$(find "$stage/prefix" -name portalloc.pc)
[ -n "$pc" ] || { echo "no portalloc.pc installed" >&2; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")

# run_harness BINARY: 2 ports in the block, none left leased.
run_harness() {
  local out p n=0
  out=$("$1")
  echo "$1: $(echo $out)"
  for p in $out; do
    [ "$p" -ge "$first" ] && [ "$p" -le "$last" ] && n=$((n + 1))
  done
  [ "$n" -eq 2 ] || { echo "expected 2 ports, got: $out" >&2; exit 1; }
  [ "$("$stage/prefix/bin/portalloc" list --json)" = "[]" ] ||
    { echo "leases left behind" >&2; exit 1; }
}

# The static library: its link dependencies come from pkg-config --static.
# Where libportalloc.so is installed next to it, -lportalloc would pick that,
# so ask for the archive by name (GNU ld's -l:FILE).
# (never `a | head` or `a | grep -q` under pipefail: the reader leaves
# early, the writer dies of SIGPIPE and the pipeline fails)
shared=$(find "$stage/prefix" -name 'libportalloc.so*' -print -quit)
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
  deps=$(ldd "$stage/harness-so")
  case $deps in
  *libportalloc.so*) ;;
  *) echo "harness-so is not linked to libportalloc.so" >&2; exit 1 ;;
  esac
  run_harness "$stage/harness-so"
fi
echo "install: ok"
