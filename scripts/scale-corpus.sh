#!/usr/bin/env bash
# nmt on corpora of WMT14 En-Fr's size (36M pairs): `nmt prepare`, then 100
# training updates, at 1M, 6M and 36M pairs. One JSON line per size on stdout:
# wall time (and per million pairs), peak RSS of each, and the cache's size.
#   scripts/scale-corpus.sh [DIR]          work directory (default /tmp/nmt-scale; needs 8 GB)
#   scripts/scale-corpus.sh --reuse [DIR]  time training again on the caches of an earlier run,
#                                          reporting that run's prepare figures
# The toy grammar generates about 5,000 pairs a second (scripts/gen-toy-corpus.py
# --stream), so 36M distinct draws would take two hours: it draws 2M (two seeds,
# one per core, about 4 minutes) and the larger corpora repeat them, 3 and 18
# times. Run nothing else meanwhile: the times are wall times on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
reuse=0
if [ "${1:-}" = --reuse ]; then reuse=1; shift; fi
work=${1:-/tmp/nmt-scale}
nmt=$PWD/build/nmt
mkdir -p "$work"
[ -x "$nmt" ] || scripts/build.sh >/dev/null

if [ ! -s "$work/b/train.fr" ]; then
  scripts/gen-toy-corpus.py --out "$work/a" --stream 1000000 --seed 1 &
  scripts/gen-toy-corpus.py --out "$work/b" --stream 1000000 --seed 2
  wait
fi
for side in en fr; do
  mkdir -p "$work/1M" "$work/6M" "$work/36M"
  [ -s "$work/1M/train.$side" ] || cp "$work/a/train.$side" "$work/1M/train.$side"
  if [ ! -s "$work/6M/train.$side" ]; then
    for _ in 1 2 3; do cat "$work/a/train.$side" "$work/b/train.$side"; done >"$work/6M/train.$side"
  fi
  if [ ! -s "$work/36M/train.$side" ]; then
    for _ in 1 2 3 4 5 6; do cat "$work/6M/train.$side"; done >"$work/36M/train.$side"
  fi
done

# A small Transformer (configs/toy-transformer.json's) on batches of 4096 target
# tokens; no validation. vocab.max_sentences keeps the default 2M.
measure() {  # measure NAME COMMAND...: wall seconds and peak RSS (MB) of COMMAND
  local out=$work/time-$1
  /usr/bin/time -f '%e %M' -o "$out" "${@:2}" >/dev/null
  read -r wall rss <"$out"
  echo "$wall $((rss / 1024))"
}
for size in 1M 6M 36M; do
  dir=$work/model-$size
  if [ "$reuse" = 1 ] && [ -s "$dir/cache/train.bin" ]; then
    rm -rf "$dir/checkpoints" "$dir/metrics.jsonl" "$dir/train.log"
  else
    rm -rf "$dir" "$work/time-prepare-$size"
  fi
  set_args=(-c configs/toy-transformer.json --set "model_dir=$dir"
    --set "data.train.src=$work/$size/train.en" --set "data.train.tgt=$work/$size/train.fr"
    --set data.valid.src= --set data.valid.tgt= --set data.test.src= --set data.test.tgt=
    --set training.batch_tokens=4096 --set training.max_steps=100
    --set training.max_epochs=0 --set training.log_every=20)
  [ -s "$work/time-prepare-$size" ] || measure "prepare-$size" "$nmt" -q prepare "${set_args[@]}" >/dev/null
  read -r prep_s prep_kb <"$work/time-prepare-$size"
  prep_mb=$((prep_kb / 1024))
  read -r train_s train_mb < <(measure "train-$size" "$nmt" -q train "${set_args[@]}")
  pairs=$(wc -l <"$work/$size/train.en")
  cache_mb=$(du -m "$dir/cache/train.bin" | cut -f1)
  echo "{\"pairs\": $pairs, \"prepare_s\": $prep_s, \"prepare_s_per_million\": $(awk "BEGIN {printf \"%.1f\", $prep_s * 1000000 / $pairs}"), \"prepare_peak_rss_mb\": $prep_mb, \"cache_mb\": $cache_mb, \"train_100_updates_s\": $train_s, \"train_peak_rss_mb\": $train_mb}"
done
