#!/usr/bin/env bash
# Builds and runs every test: the normal build, then the same tests built
# with AddressSanitizer and UBSan (any report fails the run).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)

echo "== build/ (RelWithDebInfo, -Werror)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPORTALLOC_WERROR=ON -DPORTALLOC_SHARED=ON >/dev/null
cmake --build build
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== Debian package (cpack -G DEB, dpkg -i, run, dpkg -r; root only)"
tests/deb/test_deb.sh build

echo "== build-asan/ (Debug, ASan + UBSan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DPORTALLOC_SANITIZE=ON -DPORTALLOC_WERROR=ON >/dev/null
cmake --build build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"
