#!/usr/bin/env bash
# The README's test command: installs what the project needs, builds, and runs every test —
# unit tests, command-line checks and interop tests over real TUN devices (as root) — then the
# unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer, then the three
# fuzz targets (TCP input, DNS messages, HTTP parser; clang, libFuzzer) for 40 s each.
#   scripts/test.sh            everything
#   scripts/test.sh --quick    skip the sanitizer build and the fuzzing
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    *) echo "test.sh: error: unknown argument '$arg' (use --quick or nothing)" >&2; exit 2 ;;
  esac
done

scripts/setup.sh
scripts/build.sh

if [ "$(id -u)" != 0 ]; then
  echo "note: not root, so the interop tests (label 'interop') will be skipped" >&2
fi
ctest --test-dir build --output-on-failure -j2 -LE interop
ctest --test-dir build --output-on-failure -L interop

if [ $quick = 0 ]; then
  BUILD_DIR=build-sanitize scripts/build.sh -DCMAKE_BUILD_TYPE=Debug -DTUNDRA_SANITIZE=ON
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-sanitize --output-on-failure -j2 -L unit

  # Fuzz the TCP input path, DNS messages and the HTTP parser for 40 s each from the committed
  # seeds; new inputs go to a working corpus per target in build-fuzz/ (the seeds stay as
  # committed). A crash, a sanitizer report or a broken invariant exits non-zero and fails the
  # run; the input is saved as build-fuzz/crash-*.
  CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTUNDRA_FUZZ=ON -DTUNDRA_SANITIZE=ON >/dev/null
  cmake --build build-fuzz -j"${JOBS:-2}" --target tundra-fuzz-tcp tundra-fuzz-dns tundra-fuzz-http
  for target in tcp:1600 dns:1500 http:4096; do
    name=${target%%:*}
    mkdir -p "build-fuzz/corpus-$name"
    "build-fuzz/bin/tundra-fuzz-$name" -max_total_time=40 -max_len="${target##*:}" \
      -print_final_stats=1 -artifact_prefix=build-fuzz/ "build-fuzz/corpus-$name" \
      "tests/fuzz/corpus/$name"
  done
fi
echo "all tests passed"
