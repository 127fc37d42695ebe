#!/usr/bin/env bash
# Speed of nmt against the GEMM roofline and the PyTorch peer, side by side:
#   scripts/bench.sh            full run (about 30 minutes: two alternating rounds)
#   scripts/bench.sh --quick    about 10 minutes: one round, fewer steps and sentences
#   scripts/bench.sh --growth   how nmt's cost grows with lines, length and batch size
#   scripts/bench.sh --levers   what each speed lever buys: nmt with and without it (about 25 minutes)
#   scripts/bench.sh --scale    data-parallel training: 2 processes x 1 thread against 1 x 2 (about 10 minutes)
# Extra arguments go to scripts/bench.py (--only, --repeat, --raw FILE; see --help).
# Reads Multi30k from $MULTI30K (default ../shared/data/multi30k) and the peer
# from $PEER_DIR (default ../shared/peers). Run nothing else meanwhile: on a
# 2-core machine any other process makes the figures meaningless.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --bench
scripts/build.sh >/dev/null
quick=0
for a in "$@"; do
  if [ "$a" = --quick ] || [ "$a" = --growth ]; then quick=1; fi
done
if [ "$quick" = 0 ] && [[ " $* " != *" --repeat "* ]]; then set -- --repeat 2 "$@"; fi
exec /usr/bin/python3 scripts/bench.py "$@"
