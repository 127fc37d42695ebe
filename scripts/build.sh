#!/usr/bin/env bash
# Configures and builds nmt in build/ (Release). Extra CMake arguments pass through:
#   scripts/build.sh -DNMT_WERROR=ON
#   CMAKE_PREFIX_PATH=/path/to/libtorch scripts/build.sh     # another LibTorch, e.g. CUDA
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
generator=()
if command -v ninja >/dev/null 2>&1 && [ ! -f "$build_dir/Makefile" ]; then generator=(-G Ninja); fi
cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@" >/dev/null
cmake --build "$build_dir" -j "${JOBS:-$(nproc)}"
