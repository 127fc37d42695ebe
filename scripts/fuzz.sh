#!/usr/bin/env bash
# Fuzzes nmt's parsers with libFuzzer, AddressSanitizer and UBSan: builds the
# targets of tests/fuzz/ with clang in build-fuzz/, then runs each for a bounded
# time from its committed seeds (tests/fuzz/corpus/NAME/, which also keeps every
# input that once crashed a target; the config target also reads configs/, the
# checkpoint target a checkpoint it writes). Inputs that found new coverage are kept in
# build-fuzz/corpus/NAME/, crashes in build-fuzz/crashes/. Prints one line per
# target (executions, coverage, crashes) and exits 1 if any target crashed.
#   scripts/fuzz.sh                          # every target, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh lines   # one target, longer
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config tokenize lines record checkpoint cache ranking metrics)
seconds=${FUZZ_SECONDS:-60}
build=${BUILD_DIR:-build-fuzz}
CC=clang CXX=clang++ BUILD_DIR=$build BUILD_TYPE=RelWithDebInfo scripts/build.sh -DNMT_FUZZ=ON \
  "${targets[@]/#/fuzz_}" >&2
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/sanitize/lsan.supp:print_suppressions=0
mkdir -p "$build/crashes"
failed=0
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  mkdir -p "$corpus"
  seeds=()
  [ ! -d "tests/fuzz/corpus/$t" ] || seeds+=("tests/fuzz/corpus/$t")
  [ "$t" != config ] || seeds+=(configs)
  flags=()
  if [ "$t" = checkpoint ]; then
    # LibTorch keeps allocations across inputs, so libFuzzer's leak check would
    # rescan its whole heap after nearly every input (about one input a second);
    # scripts/test.sh --sanitize checks checkpoint loading for leaks instead.
    flags=(-detect_leaks=0)
    mkdir -p "$build/seeds/checkpoint"
    NMT_FUZZ_WRITE_SEED=$build/seeds/checkpoint/small.pt "$build/fuzz/fuzz_checkpoint"
    seeds+=("$build/seeds/checkpoint")
  fi
  log=$build/fuzz-$t.log
  set +e
  "$build/fuzz/fuzz_$t" "$corpus" "${seeds[@]}" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$t-" -max_len=65536 -timeout=10 -rss_limit_mb=4096 "${flags[@]}" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  crashes=$(find "$build/crashes" -name "$t-*" | wc -l)
  echo "fuzz $t: ${runs:-0} executions in ${seconds}s, coverage ${cov:-0} edges, corpus $(ls "$corpus" | wc -l) inputs, $crashes crashes (exit $rc; log $log)"
  [ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ] || failed=1
done
exit $failed
