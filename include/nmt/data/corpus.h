// Corpus reading: line-aligned source and target files, validated as they stream,
// encoded once into a binarized cache that later runs memory-map.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include "nmt/common/config.h"
#include "nmt/data/vocab.h"

namespace nmt::data {

/// Streams the lines of one file. A trailing "\r" is dropped. Invalid UTF-8 is a
/// DataError naming the file, line and byte.
class LineReader {
 public:
  explicit LineReader(const std::string& path);
  /// Reads an already open stream (e.g. std::cin); `name` is used in errors.
  LineReader(std::istream& in, std::string name);
  /// Next line into `line`; false at the end of the file.
  bool next(std::string& line);
  /// 1-based number of the line last returned.
  int64_t line_number() const { return line_no_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<std::ifstream> file_;
  std::istream* in_ = nullptr;
  int64_t line_no_ = 0;
};

/// Reads two line-aligned files in lockstep; different line counts are a
/// DataError naming both files and both counts.
class ParallelReader {
 public:
  ParallelReader(const std::string& src_path, const std::string& tgt_path);
  bool next(std::string& src, std::string& tgt);
  int64_t line_number() const { return src_.line_number(); }

 private:
  LineReader src_;
  LineReader tgt_;
};

/// Reads both files through once: equal line counts, valid UTF-8, not empty.
/// Cheap next to training, and it stops bad data before any work is done.
void check_parallel(const FilePair& files);

/// Every line of a file (or of `in` when path is "-"), validated as LineReader does.
std::vector<std::string> read_lines(const std::string& path);

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
  static EncodedCorpus open(const FilePair& files, const Vocabs& vocabs, int64_t max_len,
                            const std::string& cache_path);

  int64_t size() const { return num_pairs_; }
  int32_t src_len(int64_t i) const;
  int32_t tgt_len(int64_t i) const;
  /// Appends the ids of pair i's source (or target) side to `out`.
  void src(int64_t i, std::vector<int32_t>& out) const;
  void tgt(int64_t i, std::vector<int32_t>& out) const;
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
