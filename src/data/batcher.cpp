#include "nmt/data/batcher.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "nmt/common/error.h"
#include "nmt/common/logging.h"

namespace nmt::data {
namespace {

constexpr int64_t kBlock = 4096;  // consecutive pairs shuffled as a unit across pools

uint64_t mix(uint64_t a, uint64_t b) {
  Rng r(a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL));
  return r.next();
}

}  // namespace

uint64_t Rng::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t Rng::below(uint64_t n) {
  // Rejection sampling: no modulo bias.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do {
    x = next();
  } while (x >= limit);
  return x % n;
}

Batcher::Batcher(const EncodedCorpus& corpus, BatcherOptions options) : corpus_(corpus), opt_(options) {
  if (opt_.batch_tokens < 1) throw ConfigError("batch_tokens must be positive");
  if (opt_.pool_pairs < 1) throw ConfigError("pool_pairs must be positive");
  seek({1, 0});
}

int64_t Batcher::num_pools() const {
  const int64_t blocks = (corpus_.size() + kBlock - 1) / kBlock;
  const int64_t blocks_per_pool = std::max<int64_t>(1, opt_.pool_pairs / kBlock);
  return (blocks + blocks_per_pool - 1) / blocks_per_pool;
}

std::vector<std::vector<int64_t>> Batcher::pool_plan(int64_t epoch, int64_t pool) const {
  const int64_t n = corpus_.size();
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  const int64_t blocks_per_pool = std::max<int64_t>(1, opt_.pool_pairs / kBlock);

  std::vector<int64_t> block_order(static_cast<std::size_t>(blocks));
  std::iota(block_order.begin(), block_order.end(), 0);
  if (opt_.shuffle) {
    Rng rng(mix(opt_.seed, static_cast<uint64_t>(epoch)));
    rng.shuffle(block_order);
  }
  std::vector<int64_t> idx;
  const int64_t first = pool * blocks_per_pool;
  const int64_t last = std::min(blocks, first + blocks_per_pool);
  for (int64_t b = first; b < last; ++b) {
    const int64_t start = block_order[static_cast<std::size_t>(b)] * kBlock;
    for (int64_t i = start; i < std::min(n, start + kBlock); ++i) idx.push_back(i);
  }
  Rng rng(mix(mix(opt_.seed, static_cast<uint64_t>(epoch)), static_cast<uint64_t>(pool) + 1));
  if (opt_.shuffle) rng.shuffle(idx);

  // Length bucketing; stable, so equal lengths keep the shuffled order.
  if (opt_.bucket_by_length) {
    std::stable_sort(idx.begin(), idx.end(), [this](int64_t a, int64_t b) {
      const int32_t ta = corpus_.tgt_len(a), tb = corpus_.tgt_len(b);
      return ta != tb ? ta < tb : corpus_.src_len(a) < corpus_.src_len(b);
    });
  }

  std::vector<std::vector<int64_t>> batches;
  std::vector<int64_t> cur;
  int64_t longest = 0;
  for (const int64_t i : idx) {
    const int64_t len = corpus_.tgt_len(i) + 1;  // + eos
    const int64_t new_longest = std::max(longest, len);
    if (!cur.empty() && new_longest * static_cast<int64_t>(cur.size() + 1) > opt_.batch_tokens) {
      batches.push_back(std::move(cur));
      cur.clear();
      longest = len;
    } else {
      longest = new_longest;
    }
    cur.push_back(i);
  }
  if (!cur.empty()) batches.push_back(std::move(cur));
  if (opt_.shuffle) rng.shuffle(batches);
  corpus_.release_pages();  // resident memory O(pool), not O(corpus)
  return batches;
}

std::vector<std::vector<int64_t>> Batcher::epoch_plan(int64_t epoch) const {
  std::vector<std::vector<int64_t>> all;
  for (int64_t p = 0; p < num_pools(); ++p) {
    auto batches = pool_plan(epoch, p);
    std::move(batches.begin(), batches.end(), std::back_inserter(all));
  }
  return all;
}

int64_t Batcher::batches_per_epoch(int64_t epoch) const {
  const auto first = pool_plan(epoch, 0);
  if (num_pools() == 1) return static_cast<int64_t>(first.size());
  std::size_t pairs = 0;
  for (const auto& batch : first) pairs += batch.size();
  return std::llround(static_cast<double>(first.size()) * static_cast<double>(corpus_.size()) /
                      static_cast<double>(std::max<std::size_t>(pairs, 1)));
}

void Batcher::seek(DataPosition pos) {
  const auto start = [this](int64_t epoch) {
    pos_ = {epoch, 0};
    pool_ = 0;
    current_ = pool_plan(epoch, 0);
    in_pool_ = 0;
  };
  start(pos.epoch);
  while (pos_.batch < pos.batch) {
    if (in_pool_ == current_.size() && pool_ + 1 == num_pools()) {
      // Batches of another size (training.batch_tokens changed) make fewer of them.
      NMT_WARN("data", "epoch {} has {} batches, and the position to go on from is batch {}: going on from epoch {}",
               pos.epoch, pos_.batch, pos.batch, pos.epoch + 1);
      start(pos.epoch + 1);
      return;
    }
    next_indices();
  }
}

std::vector<int64_t> Batcher::next_indices() {
  while (in_pool_ == current_.size()) {
    if (++pool_ == num_pools()) {
      ++pos_.epoch;
      pos_.batch = 0;
      pool_ = 0;
    }
    current_ = pool_plan(pos_.epoch, pool_);
    in_pool_ = 0;
  }
  ++pos_.batch;
  return current_[in_pool_++];
}

Batch Batcher::next() { return collate(corpus_, next_indices()); }

Batch collate(const EncodedCorpus& corpus, const std::vector<int64_t>& indices) {
  const auto b = static_cast<int64_t>(indices.size());
  int64_t s_max = 0, t_max = 0;
  for (const int64_t i : indices) {
    s_max = std::max<int64_t>(s_max, corpus.src_len(i) + 1);
    t_max = std::max<int64_t>(t_max, corpus.tgt_len(i) + 1);
  }
  Batch batch;
  batch.ids = indices;
  batch.src = torch::full({b, s_max}, kPad, torch::kLong);
  batch.tgt_in = torch::full({b, t_max}, kPad, torch::kLong);
  batch.tgt_out = torch::full({b, t_max}, kPad, torch::kLong);
  auto src = batch.src.accessor<int64_t, 2>();
  auto tin = batch.tgt_in.accessor<int64_t, 2>();
  auto tout = batch.tgt_out.accessor<int64_t, 2>();
  std::vector<int32_t> ids;
  for (int64_t r = 0; r < b; ++r) {
    const int64_t i = indices[static_cast<std::size_t>(r)];
    ids.clear();
    corpus.src(i, ids);
    for (std::size_t k = 0; k < ids.size(); ++k) src[r][static_cast<int64_t>(k)] = ids[k];
    src[r][static_cast<int64_t>(ids.size())] = kEos;
    batch.src_tokens += static_cast<int64_t>(ids.size()) + 1;
    ids.clear();
    corpus.tgt(i, ids);
    tin[r][0] = kBos;
    for (std::size_t k = 0; k < ids.size(); ++k) {
      tin[r][static_cast<int64_t>(k) + 1] = ids[k];
      tout[r][static_cast<int64_t>(k)] = ids[k];
    }
    tout[r][static_cast<int64_t>(ids.size())] = kEos;
    batch.tgt_tokens += static_cast<int64_t>(ids.size()) + 1;
  }
  batch.src_mask = batch.src.ne(kPad);
  batch.tgt_mask = batch.tgt_out.ne(kPad);
  return batch;
}

}  // namespace nmt::data
