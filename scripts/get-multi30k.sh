#!/usr/bin/env bash
# Downloads Multi30k Task 1 (Elliott et al. 2016; French: Elliott et al. 2017)
# from its public repository and writes the raw, cased, untokenized En/Fr files
# that configs/rnnsearch-multi30k.json and transformer-multi30k.json read:
#   train.{en,fr} val.{en,fr} test2016.{en,fr} test2017.{en,fr} test2017mscoco.{en,fr}
# Usage: scripts/get-multi30k.sh [DIR]   (default: data/multi30k)
# The data is for non-commercial research and education (see the repository's README).
set -euo pipefail

dir=${1:-data/multi30k}
commit=a3d2e0d26b56f3846f66a952536ffed4e401d05a
base=https://raw.githubusercontent.com/multi30k/dataset/$commit/data/task1/raw
mkdir -p "$dir"

fetch() {  # remote name, local name
  for lang in en fr; do
    if [[ -s "$dir/$2.$lang" ]]; then continue; fi
    echo "get-multi30k: $1.$lang.gz -> $dir/$2.$lang" >&2
    curl -fsSL --retry 3 "$base/$1.$lang.gz" | gunzip > "$dir/$2.$lang.tmp"
    mv "$dir/$2.$lang.tmp" "$dir/$2.$lang"
  done
}
fetch train train
fetch val val
fetch test_2016_flickr test2016
fetch test_2017_flickr test2017
fetch test_2017_mscoco test2017mscoco

# Line counts from the dataset's README: a truncated download fails here.
check() {
  local n
  n=$(wc -l < "$dir/$1")
  [[ "$n" == "$2" ]] || { echo "get-multi30k: $dir/$1 has $n lines, expected $2" >&2; exit 1; }
}
for lang in en fr; do
  check train.$lang 29000; check val.$lang 1014; check test2016.$lang 1000
  check test2017.$lang 1000; check test2017mscoco.$lang 461
done
echo "get-multi30k: done; train with: nmt train --config configs/rnnsearch-multi30k.json" >&2
