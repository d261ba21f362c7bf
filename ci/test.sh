#!/usr/bin/env bash
# Builds and runs every test: the normal build, then the same tests built
# with AddressSanitizer and UBSan (any report fails the run), then the CLI
# under valgrind (ci/valgrind.sh), each fuzz target briefly (ci/fuzz.sh),
# and the Windows build (mingw-w64) with its tests run under Wine.
#
# PORTALLOC_WIN_TESTS: 1 runs the Windows part (and fails if it cannot),
# 0 skips it; unset, it runs where CI=true, or where we are root and the
# mingw-w64 compiler and Wine are installed.  ci/win-deps.sh (root) makes
# or reuses the mingw builds of cmocka, inih and SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)

echo "== build/ (RelWithDebInfo, -Werror)"
# as ci/setup.sh: the CLI with the lean SQLite of ci/sqlite.sh where it can
sqlite=$(ci/sqlite.sh --or-debian | tail -n1)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPORTALLOC_WERROR=ON -DPORTALLOC_SHARED=ON -DPORTALLOC_SQLITE3_A="$sqlite" \
  >/dev/null
cmake --build build -- -j2
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== Debian package (cpack -G DEB, dpkg -i, run, dpkg -r; root only)"
tests/deb/test_deb.sh build

echo "== build-asan/ (Debug, ASan + UBSan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DPORTALLOC_SANITIZE=ON -DPORTALLOC_WERROR=ON >/dev/null
cmake --build build-asan -- -j2
# the soak is 100000 cycles in build/, a fifth of that under ASan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
PORTALLOC_SOAK_CYCLES=${PORTALLOC_SOAK_CYCLES_ASAN:-20000} \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"

echo "== valgrind on the CLI (build-vg/: dynamic, which valgrind needs)"
# build/portalloc is linked statically, and valgrind cannot watch the heap
# of a static executable (its malloc is not replaced)
cmake -S . -B build-vg -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPORTALLOC_STATIC_CLI=OFF -DPORTALLOC_TESTS=OFF -DPORTALLOC_WERROR=ON \
  >/dev/null
cmake --build build-vg --target portalloc_cli -- -j2
ci/valgrind.sh build-vg/portalloc

echo "== fuzz targets (build-fuzz/, clang + libFuzzer), ${FUZZ_SECONDS:-10} s each"
ci/fuzz.sh

# Whether to run the Windows part (see the top).
want_windows() {
  case "${PORTALLOC_WIN_TESTS:-}" in
    1) return 0 ;;
    0) return 1 ;;
  esac
  [ "${CI:-}" = true ] && return 0
  [ "$(id -u)" -eq 0 ] && command -v x86_64-w64-mingw32-gcc >/dev/null &&
    command -v wine >/dev/null
}

if ! want_windows; then
  echo "== build-win/ skipped (set PORTALLOC_WIN_TESTS=1 to run it; needs root)"
  exit 0
fi

echo "== build-win/ (mingw-w64, -Werror; tests under Wine)"
prefix=$(ci/win-deps.sh | tail -n1)
cmake -S . -B build-win -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake \
  -DPORTALLOC_WIN_DEPS_PREFIX="$prefix" -DPORTALLOC_WERROR=ON >/dev/null
cmake --build build-win

# in a network namespace of their own where we may make one (root)
if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
  PORTALLOC_IN_NETNS=1 unshare -n ci/win-tests.sh
else
  ci/win-tests.sh
fi
