#!/usr/bin/env bash
# The 40-minute CPU recipe (README, "Results"): trains a config once per seed,
# for the config's training.max_time, then scores each model's best checkpoint
# (the decoding the config names) on Multi30k test2016, test2017 and test2018
# and prints a Markdown table with the mean and spread over the seeds.
#   scripts/cpu-recipe.sh [--config FILE] [--seeds "1 2 3"] [--out DIR]
# Defaults: configs/transformer-multi30k-cpu.json, seeds 1 2 3, models/cpu-recipe.
# A seed whose model directory already holds a finished run is scored again,
# not retrained. Reads Multi30k from $MULTI30K (default ../shared/data/multi30k).
# Run nothing else meanwhile: the budget is wall-clock time, so anything else
# running costs the model updates.
set -euo pipefail
cd "$(dirname "$0")/.."
config=configs/transformer-multi30k-cpu.json seeds="1 2 3" out=models/cpu-recipe
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: scripts/cpu-recipe.sh [--config FILE] [--seeds \"1 2 3\"] [--out DIR]" >&2; exit 2 ;;
  esac
done
export MULTI30K=${MULTI30K:-../shared/data/multi30k}
scripts/build.sh nmt >/dev/null
nmt=${BUILD_DIR:-build}/nmt
name=$(basename "$config" .json)
tests="test2016 test2017 test2018"

# The value of "key" in the JSON of stdin (first occurrence).
field() { { grep -o "\"$1\": *[-0-9.e+]*" || true; } | head -1 | sed 's/.*: *//'; }

rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
for seed in $seeds; do
  dir=$out/$name-seed$seed
  if ! grep -q '"event":"end"' "$dir/metrics.jsonl" 2>/dev/null; then
    rm -rf "$dir"
    mkdir -p "$out"
    "$nmt" train --config "$config" --set training.seed="$seed" --set model_dir="$dir" 2>"$dir.log" ||
      { echo "cpu-recipe: training seed $seed failed; see $dir.log" >&2; exit 1; }
  fi
  end=$(grep '"event":"end"' "$dir/metrics.jsonl" | tail -1)
  updates=$(field step <<<"$end")
  reason=$(grep -o '"reason":"[a-z_]*"' <<<"$end" | sed 's/.*:"//; s/"//')
  # Target tokens per second over the whole run, as the progress lines report them.
  toks=$({ grep '"event":"train"' "$dir/metrics.jsonl" || true; } | { grep -o '"tgt_tok_per_s":[0-9.]*' || true; } |
    sed 's/.*://' |
    awk '{ s += $1; n++ } END { printf "%.0f", n ? s / n : 0 }')
  line="$seed $updates $reason $toks"
  for t in $tests; do
    json=$("$nmt" -q eval --model "$dir" --src "$MULTI30K/$t.en" --ref "$MULTI30K/$t.fr" --json)
    bleu=$(field score <<<"$json")
    chrf=$(sed 's/.*"name": *"chrF//' <<<"$(tr -d '\n' <<<"$json")" | field score)
    line="$line $bleu $chrf"
  done
  echo "$line" >>"$rows"
  echo "cpu-recipe: seed $seed: $line" >&2
done

# seed updates reason tok/s then BLEU chrF per test set.
awk -v name="$name" '
  { n++; for (i = 1; i <= NF; i++) { v[n, i] = $i; s[i] += $i; q[i] += $i * $i } }
  function cell(i,   m, sd) {
    m = s[i] / n; sd = n > 1 ? sqrt((q[i] - n * m * m) / (n - 1)) : 0
    return sprintf("%.2f +- %.2f", m, sd)
  }
  END {
    print "`" name "`:"
    print ""
    print "| seed | updates | stop | target tok/s | test2016 BLEU | chrF | test2017 BLEU | chrF | test2018 BLEU | chrF |"
    print "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"
    for (r = 1; r <= n; r++) {
      printf "| %s | %s | %s | %s", v[r, 1], v[r, 2], v[r, 3], v[r, 4]
      for (i = 5; i <= 10; i++) printf " | %.2f", v[r, i]
      print " |"
    }
    printf "| mean +- sd | %.0f | | %.0f", s[2] / n, s[4] / n
    for (i = 5; i <= 10; i++) printf " | %s", cell(i)
    print " |"
  }' "$rows"
