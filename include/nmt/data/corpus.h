// Corpus reading: line-aligned source and target files, validated as they stream,
// encoded once into a binarized cache that later runs memory-map.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nmt/common/config.h"
#include "nmt/data/vocab.h"

namespace nmt::data {

/// Counts of a corpus build, logged and kept in the cache.
struct CorpusStats {
  int64_t lines = 0;           ///< pairs read
  int64_t empty = 0;           ///< dropped: a side was empty
  int64_t too_long = 0;        ///< dropped: a side had more than max_len pieces
  int64_t src_tokens = 0;      ///< pieces kept, without eos
  int64_t tgt_tokens = 0;
};

/// An encoded corpus in a memory-mapped cache file: pairs of subword-id
/// sequences (no bos/eos), random access, memory bounded by the OS page cache.
class EncodedCorpus {
 public:
  /// Encodes `files` into `cache_path` unless a cache built from the same files,
  /// vocabulary and max_len is already there, then maps it. Pairs with an empty
  /// side, or more than `max_len` pieces on a side (when max_len > 0), are dropped.
  /// The caller holds the model directory's lock (common/lock.h). A damaged
  /// cache (checksum, index or token ids) is rebuilt with a warning.
  static EncodedCorpus open(const FilePair& files, const Vocabs& vocabs, int64_t max_len,
                            const std::string& cache_path);
  /// For a reader, which writes nothing: the cache at `cache_path` when it is
  /// whole and built from these inputs, else nullopt.
  static std::optional<EncodedCorpus> open_existing(const FilePair& files, const Vocabs& vocabs, int64_t max_len,
                                                    const std::string& cache_path);

  int64_t size() const { return num_pairs_; }
  int32_t src_len(int64_t i) const;
  int32_t tgt_len(int64_t i) const;
  /// Appends the ids of pair i's source (or target) side to `out`.
  void src(int64_t i, std::vector<int32_t>& out) const;
  void tgt(int64_t i, std::vector<int32_t>& out) const;
  /// Lets go of the cache's pages this process has read: they stay in the
  /// kernel's page cache, and a later read maps them again. A pass over every
  /// pair (planning an epoch's batches) would otherwise keep the whole cache in
  /// the process's resident memory, which then grows with the corpus.
  void release_pages() const;
  const CorpusStats& stats() const { return stats_; }

 private:
  struct Mapping;
  std::shared_ptr<const Mapping> map_;
  const uint64_t* index_ = nullptr;  // byte offset of each record
  int64_t num_pairs_ = 0;
  int token_width_ = 2;
  CorpusStats stats_;

  void read(uint64_t offset, int32_t len, std::vector<int32_t>& out) const;
};

}  // namespace nmt::data
