#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz/ and runs
# each for FUZZ_SECONDS (default 10) from the seeds in tests/fuzz/corpus/.
# New inputs go to a temporary directory, never into the committed seeds;
# a crash leaves its input in build-fuzz/crashes/ and fails the run.
# A longer run: FUZZ_SECONDS=600 ci/fuzz.sh [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-10}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config parse cli procnet diag)

CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPORTALLOC_FUZZ=ON -DPORTALLOC_TESTS=OFF >/dev/null
cmake --build build-fuzz -- -j2 >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p build-fuzz/crashes
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  log="$work/$t.log"
  if ! UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$PWD/build-fuzz/tests/fuzz/fuzz_$t" -max_total_time="$seconds" \
    -close_fd_mask=3 -timeout=10 -rss_limit_mb=1024 \
    -artifact_prefix="$PWD/build-fuzz/crashes/$t-" \
    "$work/$t" "$PWD/tests/fuzz/corpus/$t" >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz_$t: FAILED (input in build-fuzz/crashes/)" >&2
    exit 1
  fi
  echo "fuzz_$t: $(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" |
    tail -1), corpus $(ls "$work/$t" | wc -l) new inputs"
done
