#!/usr/bin/env bash
# Checkpoints across LibTorch versions: training stopped under one LibTorch
# resumes under the other, both ways, for both families, and goes on as a run
# that never stopped: the weights, the optimizer's state (its keys differ
# between LibTorch 1.x and 2.x) and the random state all carry over.
#   scripts/cross-version.sh [trixie|sid]   # this host's build/ and the root's build-<root>/
# Needs both builds (scripts/build.sh nmt; scripts/debian-root.sh ROOT scripts/build.sh nmt).
# For each family and each direction, A trains 4 updates in one go, and A's
# first 2 updates are resumed by B for the last 2; the losses B logs at updates
# 3 and 4 must equal A's to within TOLERANCE (relative, default 1e-4), room
# for the two LibTorch builds' own arithmetic (they agreed to 1e-7 here).
set -euo pipefail
cd "$(dirname "$0")/.."
root=${1:-trixie}
case "$root" in trixie | sid) ;; *)
  echo "cross-version: unknown root '$root' (trixie or sid)" >&2
  exit 2
  ;;
esac
tolerance=${TOLERANCE:-1e-4}
host=(build/nmt)
other=(scripts/debian-root.sh "$root" "build-$root/nmt")
for binary in build/nmt "build-$root/nmt"; do
  [ -x "$binary" ] || { echo "cross-version: $binary is missing; build it first" >&2; exit 2; }
done
# Inside the project, which the root sees at the same path.
work=$(mktemp -d "$PWD/.cross-version.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
host_version=$("${host[@]}" --version 2>&1 | grep -o 'LibTorch [0-9.a-z+]*' | head -1)
other_version=$("${other[@]}" --version 2>&1 | grep -o 'LibTorch [0-9.a-z+]*' | head -1)
echo "cross-version: $host_version (this host) and $other_version ($root)" >&2

# The train losses of updates 3 and 4 in metrics.jsonl, one per line.
losses() { python3 -c '
import json, sys
steps = {e["step"]: e["loss"] for e in map(json.loads, open(sys.argv[1])) if e.get("event") == "train"}
print(steps[3]); print(steps[4])' "$1"; }

failed=0
for family in transformer rnnsearch; do
  for direction in host-other other-host; do
    if [ $direction = host-other ]; then a=("${host[@]}") b=("${other[@]}") an=$host_version bn=$other_version
    else a=("${other[@]}") b=("${host[@]}") an=$other_version bn=$host_version; fi
    dir=$work/$family-$direction
    set_args=(--set training.log_every=1 --set training.valid_every=2 --set training.dropout=0.3)
    "${a[@]}" -q train -c "configs/toy-$family.json" --set model_dir="$dir/straight" "${set_args[@]}" \
      --set training.max_steps=4 2>"$dir.log" || { cat "$dir.log" >&2; exit 1; }
    "${a[@]}" -q train -c "configs/toy-$family.json" --set model_dir="$dir/split" "${set_args[@]}" \
      --set training.max_steps=2 2>"$dir.log" || { cat "$dir.log" >&2; exit 1; }
    if ! "${b[@]}" -q train --resume -c "configs/toy-$family.json" --set model_dir="$dir/split" "${set_args[@]}" \
      --set training.max_steps=4 2>"$dir.log"; then
      echo "cross-version: FAILED $family, $an -> $bn: the resume stopped:" >&2
      cat "$dir.log" >&2
      failed=1
      continue
    fi
    mapfile -t straight < <(losses "$dir/straight/metrics.jsonl")
    mapfile -t resumed < <(losses "$dir/split/metrics.jsonl")
    if python3 -c 'import sys; a, b, t = sys.argv[1:3], sys.argv[3:5], float(sys.argv[5])
sys.exit(0 if all(abs(float(x) - float(y)) <= t * abs(float(x)) for x, y in zip(a, b)) else 1)' \
      "${straight[@]}" "${resumed[@]}" "$tolerance"; then verdict=ok; else verdict=FAILED; failed=1; fi
    echo "cross-version: $verdict $family, $an -> $bn: losses at updates 3 and 4: ${straight[*]} in one run, ${resumed[*]} resumed"
  done
done
exit $failed
