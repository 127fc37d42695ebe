// Corpus chrF exactly as sacreBLEU 2.x computes it by default: character n-grams
// of orders 1..6 with whitespace removed, beta = 2, statistics summed over the
// corpus; with several references each segment uses the best-scoring one.
#pragma once

#include <string>
#include <vector>

namespace nmt::eval {

struct ChrfOptions {
  int char_order = 6;      ///< sacreBLEU --chrf-char-order
  double beta = 2;         ///< sacreBLEU --chrf-beta
  bool lowercase = false;  ///< sacreBLEU -lc
  bool whitespace = false; ///< keep whitespace in character n-grams
};

struct ChrfScore {
  double score = 0;  ///< 0..100
  int num_refs = 0;
  ChrfOptions options;

  /// "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:..."
  std::string signature() const;
  /// "chrF2|<signature> = 58.12"
  std::string format(int width = 2) const;
};

/// refs[k][i] is reference k of hypothesis i; every stream must have hyps.size() lines.
ChrfScore corpus_chrf(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                      const ChrfOptions& options = {});

}  // namespace nmt::eval
