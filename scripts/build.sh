#!/usr/bin/env bash
# Configures and builds tundra into build/ (binaries in build/bin/). Extra arguments go to cmake's
# configure step, e.g. scripts/build.sh -DCMAKE_BUILD_TYPE=Debug. Sized for a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"${JOBS:-2}"
