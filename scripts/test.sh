#!/usr/bin/env bash
# Sets up, builds (warnings are errors) and runs every test through CTest.
#   scripts/test.sh              # the suite, in build/
#   scripts/test.sh --sanitize   # the same suite built with AddressSanitizer and
#                                # UBSan, in build-sanitize/ (BUILD_DIR-sanitize);
#                                # any report fails it
#   scripts/test.sh --torch trixie|sid|trixie-cuda
#                                # the suite in a Debian root of that release, as
#                                # its users would run it (scripts/debian-root.sh):
#                                # LibTorch 2.6, 2.14, or 2.6 built for CUDA (whose
#                                # CPU tests run here), in build-<root>/
# Further arguments go to ctest (e.g. -R Robustness).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --torch ]; then
  [ $# -ge 2 ] || { echo "usage: scripts/test.sh --torch trixie|sid|trixie-cuda [--sanitize] [ctest args]" >&2; exit 2; }
  root=$2
  shift 2
  [ "$root" != trixie-cuda ] || scripts/debian-root.sh "$root" scripts/setup.sh --cuda
  exec scripts/debian-root.sh "$root" scripts/test.sh "$@"
fi
build_args=()
if [ "${1:-}" = --sanitize ]; then
  shift
  export BUILD_DIR=${BUILD_DIR:-build}-sanitize BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
  build_args=(-DNMT_SANITIZE=ON)
  # verify_asan_link_order=0: the robustness suite preloads its fault injector before the runtime.
  export ASAN_OPTIONS=detect_leaks=1:verify_asan_link_order=0
  export LSAN_OPTIONS=suppressions=$PWD/tests/sanitize/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
scripts/setup.sh
scripts/build.sh "${build_args[@]}"
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "${JOBS:-$(nproc)}" "$@"
