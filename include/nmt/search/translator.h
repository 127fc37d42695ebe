// Translation of text: encode, batch by tokens, search, detokenize. Serves
// `nmt translate`, `nmt eval --model` and dev BLEU during training alike.
#pragma once

#include <string>
#include <vector>

#include <torch/types.h>

#include "nmt/common/config.h"
#include "nmt/data/vocab.h"
#include "nmt/model/seq2seq.h"

namespace nmt::search {

struct SearchOptions {
  int64_t beam = 5;             ///< 1 is greedy search
  double alpha = 0.6;           ///< GNMT length penalty exponent; 0 disables
  double max_len_a = 1.5;       ///< output limit a * len(src) + b, in pieces
  int64_t max_len_b = 10;
  int64_t n_best = 1;           ///< hypotheses returned per sentence, <= beam
  int64_t batch_tokens = 4096;  ///< source pieces per batch, padding included

  static SearchOptions from_config(const DecodingConfig& decoding);
  /// ConfigError naming the option when a value is out of range.
  void validate() const;
};

struct Translation {
  std::string text;
  double score = 0;  ///< the search's length-normalised log-probability
};

class Translator {
 public:
  /// `model` must already be on `device` and in eval mode.
  Translator(model::Seq2Seq& model, const data::Vocabs& vocabs, SearchOptions options, torch::Device device);

  /// Translates `lines` in batches of similar length and returns, in input
  /// order, each line's n-best list. An empty line gives one empty translation.
  std::vector<std::vector<Translation>> translate(const std::vector<std::string>& lines);

  const SearchOptions& options() const { return options_; }

 private:
  model::Seq2Seq& model_;
  const data::Vocabs& vocabs_;
  SearchOptions options_;
  torch::Device device_;
};

}  // namespace nmt::search
