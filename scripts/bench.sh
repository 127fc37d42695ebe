#!/usr/bin/env bash
# Speed of nmt against the GEMM roofline and the PyTorch peer, side by side:
#   scripts/bench.sh            full run (about 30 minutes: two alternating rounds)
#   scripts/bench.sh --quick    about 10 minutes: one round, fewer steps and sentences
#   scripts/bench.sh --growth   how nmt's cost grows with lines, length and batch size
#   scripts/bench.sh --levers   what each speed lever buys: nmt with and without it (about 25 minutes)
#   scripts/bench.sh --scale    data-parallel training: 2 processes x 1 thread against 1 x 2 (about 10 minutes)
#   scripts/bench.sh --torch host,trixie,sid --quick
#                               the comparison on each LibTorch in one run: this host's (1.13) and
#                               the Debian roots' (trixie 2.6, sid 2.14; scripts/debian-root.sh),
#                               nmt and the peer each built or installed there (about 10 minutes a LibTorch)
# Extra arguments go to scripts/bench.py (--only, --repeat, --raw FILE; see --help).
# Reads Multi30k from $MULTI30K (default ../shared/data/multi30k) and the peer
# from $PEER_DIR (default ../shared/peers). Run nothing else meanwhile: on a
# 2-core machine any other process makes the figures meaningless.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --bench
scripts/build.sh >/dev/null
quick=0 torch=()
args=("$@")
for i in "${!args[@]}"; do
  case "${args[$i]}" in
    --quick | --growth) quick=1 ;;
    --torch=*) IFS=, read -ra torch <<<"${args[$i]#--torch=}" ;;
    --torch)
      [ $((i + 1)) -lt ${#args[@]} ] || { echo "bench: --torch needs a list (host,trixie,sid)" >&2; exit 2; }
      IFS=, read -ra torch <<<"${args[$((i + 1))]}" ;;
  esac
done
for name in "${torch[@]}"; do
  if [ "$name" != host ]; then
    scripts/debian-root.sh "$name" scripts/setup.sh --bench
    BUILD_DIR=build-$name scripts/debian-root.sh "$name" scripts/build.sh nmt >/dev/null  # where bench.py runs it
  fi
done
if [ "$quick" = 0 ] && [[ " $* " != *" --repeat "* ]]; then set -- --repeat 2 "$@"; fi
exec /usr/bin/python3 scripts/bench.py "$@"
