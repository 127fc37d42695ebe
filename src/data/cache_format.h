// The layout of the encoded corpus cache (data/corpus.h), and the check that
// a file holds one whole: apart from the rest of the corpus code, so that a
// fuzzer can drive the check alone (tests/fuzz/fuzz_cache.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nmt/data/corpus.h"

namespace nmt::data {

inline constexpr char kCacheMagic[8] = {'N', 'M', 'T', 'C', 'A', 'C', 'H', 'E'};
inline constexpr uint32_t kCacheVersion = 2;  // 2: the footer holds a checksum of the records and the index

// Fixed-size trailer at the end of a cache file. The records come first, then
// the index of record offsets, then this footer. A record is two uint32
// lengths (source, target), then the source ids and the target ids, each
// token_width bytes, little-endian.
struct CacheFooter {
  char magic[8];
  uint32_t version;
  uint32_t token_width;  // bytes per token id: 2 or 4
  uint64_t fingerprint;  // of the inputs, vocabulary and max_len
  uint64_t num_pairs;
  uint64_t index_offset;
  CorpusStats stats;
  uint64_t checksum;  // cache_checksum() of every byte before the footer
  char magic_end[8];
};

/// A checksum of `n` bytes, 8 at a time (n is a multiple of 8): fast enough to
/// check a cache on every open, and any one damaged word changes it.
uint64_t cache_checksum(const char* p, std::size_t n);

/// Whether `file` is a whole cache: its footer's magic, version and sizes, its
/// checksum, and each record inside the data, after the one before it, with
/// lengths in 1..max_len (when max_len > 0) and ids below the vocabularies'
/// sizes. A reader of a file that passes never reads outside it.
bool well_formed_cache(std::string_view file, int64_t max_len, int64_t src_vocab, int64_t tgt_vocab);

}  // namespace nmt::data
