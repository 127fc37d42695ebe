// Corpus BLEU exactly as sacreBLEU 2.x computes it by default: 4-gram, exponential
// smoothing, brevity penalty against the closest reference length (shorter wins
// ties), n-gram counts clipped by the maximum over references.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "nmt/eval/tokenize.h"

namespace nmt::eval {

struct BleuOptions {
  Tokenizer tokenizer = Tokenizer::k13a;  ///< sacreBLEU --tokenize
  bool lowercase = false;                 ///< sacreBLEU -lc
};

struct BleuScore {
  double score = 0;                      ///< 0..100
  std::array<double, 4> precisions{};    ///< 0..100, smoothed
  std::array<int64_t, 4> correct{};      ///< clipped n-gram matches
  std::array<int64_t, 4> total{};        ///< hypothesis n-grams
  double bp = 0;                         ///< brevity penalty
  double ratio = 0;                      ///< hyp_len / ref_len
  int64_t hyp_len = 0;
  int64_t ref_len = 0;
  int num_refs = 0;
  BleuOptions options;

  /// "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:..."
  std::string signature() const;
  /// "67.2/42.1/28.3/19.5 (BP = 0.966 ratio = 0.967 hyp_len = 1234 ref_len = 1276)"
  std::string verbose() const;
  /// "BLEU|<signature> = 34.21 <verbose>"
  std::string format(int width = 2) const;
};

/// refs[k][i] is reference k of hypothesis i; every stream must have hyps.size() lines.
BleuScore corpus_bleu(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                      const BleuOptions& options = {});

}  // namespace nmt::eval
