#!/usr/bin/env bash
# Configures and builds nmt in build/ (Release, warnings as errors). Arguments
# that start with -D go to CMake; any others name the targets to build (default: all):
#   scripts/build.sh                 # nmt, the benchmark programs and the tests
#   scripts/build.sh nmt             # the command only, as scripts/demo.sh does
#   NMT_WERROR=OFF scripts/build.sh  # another compiler whose new warnings should not stop the build
#   CMAKE_PREFIX_PATH=/path/to/libtorch scripts/build.sh     # another LibTorch, e.g. CUDA
# Every script configures with the same options, so demo.sh and test.sh share
# one build: what one compiled, the other reuses.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake_args=() targets=()
for arg in "$@"; do
  case "$arg" in
    -D*) cmake_args+=("$arg") ;;
    *) targets+=(--target "$arg") ;;
  esac
done
generator=()
if command -v ninja >/dev/null 2>&1 && [ ! -f "$build_dir/Makefile" ]; then generator=(-G Ninja); fi
cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" \
  -DNMT_WERROR="${NMT_WERROR:-ON}" -DNMT_BUILD_TESTS=ON "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j "${JOBS:-$(nproc)}" "${targets[@]}"
