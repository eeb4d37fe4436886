#!/usr/bin/env bash
# The README's test command: installs what the project needs, builds, and runs every test —
# unit tests, command-line checks and interop tests over real TUN devices (as root) — then the
# unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
#   scripts/test.sh            everything
#   scripts/test.sh --quick    skip the sanitizer build
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
fi
echo "all tests passed"
