// Search throughput, timed as the PyTorch peer times it (../shared/peers/README.md):
// sentences sorted by source length, decoded in batches of a fixed number of
// sentences, only the search (encoder and decoding) on the clock.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "nmt/model/seq2seq.h"

namespace nmt::search {

struct DecodeBenchOptions {
  int64_t beam = 1;         ///< 1 is greedy
  double alpha = 0.6;
  int64_t batch_sents = 64;
  // Levers off, to measure what they buy:
  bool sort_by_length = true;  ///< false: batches in input order
  /// true: every sentence of a batch decodes to the batch's largest limit, the
  /// work of a search that kept finished sentences in the batch (forced lengths)
  bool keep_finished = false;
};

struct DecodeBench {
  int64_t sentences = 0;
  int64_t tgt_tokens = 0;  ///< tokens of the best hypotheses, eos included where one was produced
  double seconds = 0;
};

/// Decodes `src` (pieces without eos) with at most max_len[i] tokens for
/// sentence i, eos included. `model` must be on `device` and in eval mode.
DecodeBench bench_decoding(model::Seq2Seq& model, const std::vector<std::vector<int32_t>>& src,
                           const std::vector<int64_t>& max_len, const DecodeBenchOptions& options,
                           torch::Device device);

}  // namespace nmt::search
