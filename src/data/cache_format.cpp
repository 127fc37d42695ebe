#include "data/cache_format.h"

#include <cstring>

namespace nmt::data {

uint64_t cache_checksum(const char* p, std::size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
    h ^= h >> 32;
  }
  return h;
}

bool well_formed_cache(std::string_view file, int64_t max_len, int64_t src_vocab, int64_t tgt_vocab) {
  CacheFooter f{};
  if (file.size() < sizeof f) return false;
  const char* data = file.data();
  const std::size_t size = file.size();
  std::memcpy(&f, data + size - sizeof f, sizeof f);
  if (std::memcmp(f.magic, kCacheMagic, 8) != 0 || std::memcmp(f.magic_end, kCacheMagic, 8) != 0 ||
      f.version != kCacheVersion || (f.token_width != 2 && f.token_width != 4) || f.index_offset % 8 != 0 ||
      f.index_offset > size - sizeof f || f.num_pairs != (size - sizeof f - f.index_offset) / 8 ||
      (size - sizeof f - f.index_offset) % 8 != 0 || cache_checksum(data, size - sizeof f) != f.checksum) {
    return false;
  }
  const uint64_t w = f.token_width;
  uint64_t end = 0;  // of the record before
  for (uint64_t i = 0; i < f.num_pairs; ++i) {
    uint64_t at;
    std::memcpy(&at, data + f.index_offset + 8 * i, 8);
    uint32_t lens[2];
    if (at != end || f.index_offset - at < sizeof lens) return false;
    std::memcpy(lens, data + at, sizeof lens);
    for (const uint32_t len : lens) {
      if (len == 0 || (max_len > 0 && len > max_len)) return false;
    }
    const uint64_t ids = uint64_t{lens[0]} + lens[1];
    if ((f.index_offset - at - sizeof lens) / w < ids) return false;
    end = at + sizeof lens + ids * w;
    for (uint64_t k = 0; k < ids; ++k) {
      uint32_t id = 0;
      std::memcpy(&id, data + at + sizeof lens + k * w, w);  // little-endian, as written
      if (id >= static_cast<uint64_t>(k < lens[0] ? src_vocab : tgt_vocab)) return false;
    }
  }
  return f.index_offset - end < 8;  // only the padding between
}

}  // namespace nmt::data
