#!/usr/bin/env bash
# Builds and runs every test: the normal build, then the same tests built
# with AddressSanitizer and UBSan (any report fails the run), then the CLI
# under valgrind (ci/valgrind.sh) and each fuzz target briefly
# (ci/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)

echo "== build/ (RelWithDebInfo, -Werror)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPORTALLOC_WERROR=ON -DPORTALLOC_SHARED=ON >/dev/null
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

echo "== valgrind on the CLI (build/portalloc)"
ci/valgrind.sh build/portalloc

echo "== fuzz targets (build-fuzz/, clang + libFuzzer), ${FUZZ_SECONDS:-10} s each"
ci/fuzz.sh
