// Search throughput, timed as the PyTorch peer times it (../shared/peers/README.md):
// sentences sorted by source length, decoded in batches of a fixed number of
// sentences, only the search (encoder and decoding) on the clock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "nmt/common/config.h"
#include "nmt/data/vocab.h"
#include "nmt/model/load.h"
#include "nmt/model/seq2seq.h"
#include "nmt/search/shortlist.h"

namespace nmt::search {

struct DecodeBenchOptions {
  int64_t beam = 1;         ///< 1 is greedy
  double alpha = DecodingConfig{}.alpha;
  int64_t batch_sents = 64;
  // Levers off, to measure what they buy:
  bool sort_by_length = true;  ///< false: batches in input order
  /// true: every sentence of a batch decodes to the batch's largest limit, the
  /// work of a search that kept finished sentences in the batch (forced lengths)
  bool keep_finished = false;
  /// Given: each batch is searched over its shortlist's candidates alone.
  const Shortlist* shortlist = nullptr;
};

struct DecodeBench {
  int64_t sentences = 0;
  int64_t tgt_tokens = 0;  ///< tokens of the best hypotheses, eos included where one was produced
  double seconds = 0;
};

/// What the benchmark decodes: source sentences as pieces (without eos) and
/// the most tokens each may produce, eos included.
struct DecodeBenchInput {
  std::vector<std::vector<int32_t>> src;
  std::vector<int64_t> max_len;
};

/// The first `limit` lines of `src_path`. With `ref_path`, each sentence's
/// limit is its reference's length + 1 (forced lengths: every system decodes
/// the same tokens, as the peer is timed); without, `cap` for every sentence.
/// A reference file of another length is a DataError naming both files.
DecodeBenchInput read_bench_input(const std::string& src_path, const std::string& ref_path,
                                  const data::Vocabs& vocabs, int64_t limit, int64_t cap);

/// A model of `config`'s type and sizes with random weights drawn from `seed`,
/// on `device` in eval mode, with the vocabulary of config.model_dir (trained
/// there when missing): search speed without a trained model.
model::LoadedModel random_model(const Config& config, int threads, torch::Device device, uint64_t seed = 1);

/// Decodes `src` (pieces without eos) with at most max_len[i] tokens for
/// sentence i, eos included. `model` must be on `device` and in eval mode.
DecodeBench bench_decoding(model::Seq2Seq& model, const std::vector<std::vector<int32_t>>& src,
                           const std::vector<int64_t>& max_len, const DecodeBenchOptions& options,
                           torch::Device device);

}  // namespace nmt::search
