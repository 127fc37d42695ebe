// Token-budget batches with length bucketing and a seeded, reproducible order.
//
// An epoch's order depends only on (seed, epoch). Pairs are taken in pools:
// blocks of consecutive pairs are shuffled and grouped into pools of about
// `pool_pairs`; inside a pool the pairs are shuffled, stably sorted by
// (target length, source length), cut greedily into batches whose padded
// target size (sentences x longest target, eos included) stays within
// `batch_tokens`, and the batches are shuffled. Memory is O(pool), not
// O(corpus); a corpus smaller than one pool is bucketed globally.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "nmt/common/config.h"
#include "nmt/data/corpus.h"

namespace nmt::data {

struct Batch {
  torch::Tensor src;       // [B, S] int64: pieces + eos, padded with kPad
  torch::Tensor src_mask;  // [B, S] bool: true on real tokens
  torch::Tensor tgt_in;    // [B, T] int64: bos + pieces
  torch::Tensor tgt_out;   // [B, T] int64: pieces + eos
  torch::Tensor tgt_mask;  // [B, T] bool
  std::vector<int64_t> ids;  // corpus indices of the rows
  int64_t src_tokens = 0;    // real tokens, eos included
  int64_t tgt_tokens = 0;
};

struct BatcherOptions {
  int64_t batch_tokens = TrainingConfig{}.batch_tokens;  ///< padded target tokens per batch
  uint64_t seed = static_cast<uint64_t>(TrainingConfig{}.seed);  ///< with the epoch, fixes the order
  bool shuffle = true;          ///< false: corpus order, for validation
  int64_t pool_pairs = 1 << 20; ///< pairs bucketed together
  bool bucket_by_length = true; ///< false: batches of pairs in shuffled order (to measure what bucketing buys)

  /// training.batch_tokens and training.seed.
  static BatcherOptions from_config(const TrainingConfig& training) {
    BatcherOptions o;
    o.batch_tokens = training.batch_tokens;
    o.seed = static_cast<uint64_t>(training.seed);
    return o;
  }
};

/// Where an epoch stands, for checkpoints: epoch (1-based) and batches consumed.
struct DataPosition {
  int64_t epoch = 1;
  int64_t batch = 0;
};

class Batcher {
 public:
  Batcher(const EncodedCorpus& corpus, BatcherOptions options);

  /// Positions the batcher at `pos`: the next batch is batch `pos.batch` of `pos.epoch`.
  void seek(DataPosition pos);
  /// The next batch's corpus indices; moves to the next epoch when one ends.
  std::vector<int64_t> next_indices();
  /// The next batch as tensors.
  Batch next();
  DataPosition position() const { return pos_; }

  /// Every batch of one epoch, in order, as corpus indices.
  std::vector<std::vector<int64_t>> epoch_plan(int64_t epoch) const;
  /// epoch_plan(epoch).size() when the corpus is one pool; else the first
  /// pool's batches scaled to the corpus (for progress lines and ETAs: planning
  /// every pool of a 36M-pair corpus takes minutes).
  int64_t batches_per_epoch(int64_t epoch) const;

 private:
  std::vector<std::vector<int64_t>> pool_plan(int64_t epoch, int64_t pool) const;
  int64_t num_pools() const;

  const EncodedCorpus& corpus_;
  BatcherOptions opt_;
  DataPosition pos_;
  int64_t pool_ = 0;                            // pool of pos_.epoch being served
  std::vector<std::vector<int64_t>> current_;   // that pool's batches
  std::size_t in_pool_ = 0;                     // next batch within current_
};

/// Collates corpus pairs into padded tensors.
Batch collate(const EncodedCorpus& corpus, const std::vector<int64_t>& indices);

/// A small deterministic generator (splitmix64), identical on every platform,
/// unlike the distributions of <random>.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  /// Uniform in [0, n).
  uint64_t below(uint64_t n);
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

 private:
  uint64_t state_;
};

}  // namespace nmt::data
