#!/usr/bin/env bash
# Downloads the WMT'14 English-French data from statmt.org and writes the raw,
# cased, untokenized files that configs/rnnsearch-wmt14.json and
# transformer-base-wmt14.json read:
#   train.{en,fr}          Europarl v7, Common Crawl, UN, News Commentary v9, 10^9 French-English
#   newstest2013.{en,fr}   validation
#   newstest2014.{en,fr}   test (the full 3003-sentence set, as sacreBLEU's wmt14/full)
# Usage: scripts/get-wmt14.sh [DIR]   (default: data/wmt14). About 10 GB of downloads.
# Bahdanau et al. 2014 trained on a 348M-word selection of these corpora; this
# script takes them whole and leaves filtering to data.max_len.
set -euo pipefail

dir=${1:-data/wmt14}
mkdir -p "$dir/raw"
cd "$dir"

get() {  # url -> raw/<basename>
  local out="raw/${1##*/}"
  [[ -s "$out" ]] && return
  echo "get-wmt14: $1" >&2
  curl -fL --retry 3 -o "$out.tmp" "$1"
  mv "$out.tmp" "$out"
}
get https://www.statmt.org/wmt13/training-parallel-europarl-v7.tgz
get https://www.statmt.org/wmt13/training-parallel-commoncrawl.tgz
get https://www.statmt.org/wmt13/training-parallel-un.tgz
get https://www.statmt.org/wmt14/training-parallel-nc-v9.tgz
get https://www.statmt.org/wmt10/training-giga-fren.tar
get https://www.statmt.org/wmt14/dev.tgz
get https://www.statmt.org/wmt14/test-full.tgz

for f in raw/*.tgz raw/*.tar; do tar -xf "$f" -C raw; done
gunzip -kf raw/giga-fren.release2.fixed.en.gz raw/giga-fren.release2.fixed.fr.gz

if [[ ! -s train.en ]]; then
  : > train.en.tmp
  : > train.fr.tmp
  for prefix in raw/training/europarl-v7.fr-en raw/commoncrawl.fr-en raw/un/undoc.2000.fr-en \
                raw/training/news-commentary-v9.fr-en raw/giga-fren.release2.fixed; do
    # Each corpus must be line-aligned before it is appended.
    [[ $(wc -l < "$prefix.en") == $(wc -l < "$prefix.fr") ]] || { echo "get-wmt14: $prefix is not aligned" >&2; exit 1; }
    cat "$prefix.en" >> train.en.tmp
    cat "$prefix.fr" >> train.fr.tmp
  done
  mv train.en.tmp train.en
  mv train.fr.tmp train.fr
fi

# SGML to plain text, as sacreBLEU does: the text of each <seg> line, whitespace trimmed.
sgm2txt() { sed -n 's/^<seg[^>]*>\s*\(.*\)\s*<\/seg>\s*$/\1/p' "$1" | sed 's/[[:space:]]\+$//'; }
sgm2txt raw/dev/newstest2013-src.en.sgm > newstest2013.en
sgm2txt raw/dev/newstest2013-ref.fr.sgm > newstest2013.fr
sgm2txt raw/test-full/newstest2014-fren-src.en.sgm > newstest2014.en
sgm2txt raw/test-full/newstest2014-fren-ref.fr.sgm > newstest2014.fr
[[ $(wc -l < newstest2014.en) == 3003 && $(wc -l < newstest2014.fr) == 3003 ]] ||
  { echo "get-wmt14: newstest2014 should have 3003 lines" >&2; exit 1; }
echo "get-wmt14: done: $(wc -l < train.en) training pairs in $dir" >&2
