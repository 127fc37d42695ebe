#!/usr/bin/env bash
# Sets up, builds (warnings are errors) and runs every test through CTest.
#   scripts/test.sh              # the suite, in build/
#   scripts/test.sh --sanitize   # the same suite built with AddressSanitizer and
#                                # UBSan, in build-sanitize/; any report fails it
# Further arguments go to ctest (e.g. -R Robustness).
set -euo pipefail
cd "$(dirname "$0")/.."
build_args=()
if [ "${1:-}" = --sanitize ]; then
  shift
  export BUILD_DIR=${BUILD_DIR:-build-sanitize} BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
  build_args=(-DNMT_SANITIZE=ON)
  # verify_asan_link_order=0: the robustness suite preloads its fault injector before the runtime.
  export ASAN_OPTIONS=detect_leaks=1:verify_asan_link_order=0
  export LSAN_OPTIONS=suppressions=$PWD/tests/sanitize/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
scripts/setup.sh
scripts/build.sh "${build_args[@]}"
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "${JOBS:-$(nproc)}" "$@"
