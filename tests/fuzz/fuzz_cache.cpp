// The corpus cache's check (data/cache_format.h): any bytes are either
// refused, or a cache whose every record a reader can walk without leaving
// the file. The input's checksum is set right first, so that the fuzzer gets
// past it to the index and the records, as damage made on purpose would.
#include <cstdint>
#include <cstring>
#include <string>

#include "data/cache_format.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using nmt::data::CacheFooter;
  std::string file(reinterpret_cast<const char*>(data), size);
  if (file.size() >= sizeof(CacheFooter) && (file.size() - sizeof(CacheFooter)) % 8 == 0) {
    const uint64_t sum = nmt::data::cache_checksum(file.data(), file.size() - sizeof(CacheFooter));
    std::memcpy(file.data() + file.size() - sizeof(CacheFooter) + offsetof(CacheFooter, checksum), &sum, sizeof sum);
  }
  constexpr int64_t kMaxLen = 100, kSrcVocab = 300, kTgtVocab = 200;
  if (!nmt::data::well_formed_cache(file, kMaxLen, kSrcVocab, kTgtVocab)) return 0;
  // Accepted: walk it as EncodedCorpus does, with every read checked here (and by ASan).
  CacheFooter f{};
  std::memcpy(&f, file.data() + file.size() - sizeof f, sizeof f);
  for (uint64_t i = 0; i < f.num_pairs; ++i) {
    uint64_t at;
    std::memcpy(&at, file.data() + f.index_offset + 8 * i, 8);
    uint32_t lens[2];
    std::memcpy(lens, file.data() + at, sizeof lens);
    const uint64_t end = at + sizeof lens + (uint64_t{lens[0]} + lens[1]) * f.token_width;
    if (end > f.index_offset || lens[0] == 0 || lens[1] == 0 || lens[0] > kMaxLen || lens[1] > kMaxLen) {
      nmt::fuzz::violated("a cache whose record leaves its data was accepted");
    }
  }
  return 0;
}
