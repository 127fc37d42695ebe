// Validation during training: the dev loss by teacher forcing, and dev BLEU
// and chrF of the dev set translated with the config's `decoding` settings,
// by the same translation and scoring code as `nmt eval --model`.
#pragma once

#include <string>
#include <vector>

#include <torch/types.h>

#include "nmt/common/config.h"
#include "nmt/data/corpus.h"
#include "nmt/data/vocab.h"
#include "nmt/model/seq2seq.h"

namespace nmt::train {

struct Validation {
  double nll = 0;  ///< per target token, eos included
  double bleu = 0;
  double chrf = 0;

  double value(Metric metric) const;
};

class Validator {
 public:
  /// `valid` is the encoded dev corpus; the raw text of config.data.valid is
  /// read here, for translation and the references.
  Validator(const Config& config, const data::EncodedCorpus& valid, const data::Vocabs& vocabs);

  /// Puts `model` in eval mode and validates it; the caller restores train mode.
  /// With training.plot_attention N, also draws the attention of the first N
  /// dev sentences into `attention_dir` (created), titled with `step`.
  Validation run(model::Seq2Seq& model, torch::Device device, const std::string& attention_dir = "",
                 int64_t step = 0) const;

 private:
  const data::EncodedCorpus& valid_;
  const data::Vocabs& vocabs_;
  TrainingConfig training_;  // batches of training.batch_tokens
  DecodingConfig decoding_;
  std::vector<std::string> src_, ref_;
};

}  // namespace nmt::train
