#include "nmt/data/corpus.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/common/logging.h"
#include "nmt/data/lines.h"
#include "data/cache_format.h"

namespace nmt::data {
namespace {

uint64_t fnv1a(uint64_t h, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

uint64_t fingerprint(const FilePair& files, const Vocabs& vocabs, int64_t max_len) {
  uint64_t h = 14695981039346656037ULL;
  h = fnv1a(h, &kCacheVersion, sizeof kCacheVersion);
  h = fnv1a(h, &max_len, sizeof max_len);
  for (const std::string& p : {files.src, files.tgt}) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) throw DataError("cannot read '" + p + "': " + std::strerror(errno));
    const std::string abs = std::filesystem::absolute(p).string();
    h = fnv1a(h, abs.data(), abs.size());
    h = fnv1a(h, &st.st_size, sizeof st.st_size);
    h = fnv1a(h, &st.st_mtim, sizeof st.st_mtim);
  }
  for (const Vocab* v : {&vocabs.src, &vocabs.tgt}) {
    const std::string bytes = read_file(v->path(), kMaxVocabFileBytes, "vocabulary");
    h = fnv1a(h, bytes.data(), bytes.size());
  }
  return h;
}

void write_ids(BufferedWriter& out, const std::vector<int32_t>& ids, int width) {
  for (const int32_t id : ids) {
    if (width == 2) {
      const auto v = static_cast<uint16_t>(id);
      out.write(&v, sizeof v);
    } else {
      const auto v = static_cast<uint32_t>(id);
      out.write(&v, sizeof v);
    }
  }
}

CorpusStats build_cache(const FilePair& files, const Vocabs& vocabs, int64_t max_len, const std::string& path,
                        uint64_t print) {
  const int width = std::max(vocabs.src.size(), vocabs.tgt.size()) <= 65536 ? 2 : 4;
  CorpusStats stats;
  uint64_t num_pairs = 0;
  TemporaryFile data_file(path, O_RDWR);
  PosixFile& data = data_file.file();
  {
    TemporaryFile index_file(path + ".index", O_RDWR, path);  // never committed: removed when it goes
    PosixFile& index = index_file.file();
    BufferedWriter out(data);
    BufferedWriter index_out(index);
    ParallelReader reader(files.src, files.tgt);
    std::string src, tgt;
    while (reader.next(src, tgt)) {
      ++stats.lines;
      if (reader.cut()) {  // past kMaxLineBytes: far more than max_len pieces
        ++stats.too_long;
        continue;
      }
      const auto s = vocabs.src.encode(src);
      const auto t = vocabs.tgt.encode(tgt);
      if (s.empty() || t.empty()) {
        ++stats.empty;
        continue;
      }
      if (max_len > 0 && (static_cast<int64_t>(s.size()) > max_len || static_cast<int64_t>(t.size()) > max_len)) {
        ++stats.too_long;
        continue;
      }
      const uint64_t offset = out.offset();
      index_out.write(&offset, sizeof offset);
      const uint32_t lens[2] = {static_cast<uint32_t>(s.size()), static_cast<uint32_t>(t.size())};
      out.write(lens, sizeof lens);
      write_ids(out, s, width);
      write_ids(out, t, width);
      stats.src_tokens += static_cast<int64_t>(s.size());
      stats.tgt_tokens += static_cast<int64_t>(t.size());
      ++num_pairs;
    }
    if (stats.lines == 0) throw DataError("corpus files '" + files.src + "' and '" + files.tgt + "' are empty");
    // Pad to 8 bytes, then append the index, streamed back from its own file.
    const uint64_t pad = (8 - out.offset() % 8) % 8;
    const char zeros[8] = {};
    out.write(zeros, pad);
    index_out.flush();
    const uint64_t index_offset = out.offset();
    if (::lseek(index.fd(), 0, SEEK_SET) != 0) index.fail("seek");
    std::vector<char> chunk(1 << 20);
    for (ssize_t n; (n = ::read(index.fd(), chunk.data(), chunk.size())) != 0;) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) index.fail("read");
      out.write(chunk.data(), static_cast<std::size_t>(n));
    }
    out.flush();
    const std::size_t body = out.offset();
    void* mapped = ::mmap(nullptr, body, PROT_READ, MAP_SHARED, data.fd(), 0);
    if (mapped == MAP_FAILED) data.fail("map");
    const uint64_t sum = cache_checksum(static_cast<const char*>(mapped), body);
    ::munmap(mapped, body);
    CacheFooter footer{};
    footer.checksum = sum;
    std::memcpy(footer.magic, kCacheMagic, sizeof kCacheMagic);
    std::memcpy(footer.magic_end, kCacheMagic, sizeof kCacheMagic);
    footer.version = kCacheVersion;
    footer.token_width = static_cast<uint32_t>(width);
    footer.fingerprint = print;
    footer.num_pairs = num_pairs;
    footer.index_offset = index_offset;
    footer.stats = stats;
    out.write(&footer, sizeof footer);
    out.flush();
  }
  data_file.commit();
  return stats;
}

}  // namespace

// ---- EncodedCorpus ----

struct EncodedCorpus::Mapping {
  const char* data = nullptr;
  std::size_t size = 0;
  ~Mapping() {
    if (data != nullptr) ::munmap(const_cast<char*>(data), size);
  }
};

std::optional<EncodedCorpus> EncodedCorpus::open_existing(const FilePair& files, const Vocabs& vocabs,
                                                          int64_t max_len, const std::string& cache_path) {
  const int fd = ::open(cache_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  const bool sized = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) >= sizeof(CacheFooter);
  void* addr = sized ? ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
  ::close(fd);
  if (addr == MAP_FAILED) return std::nullopt;
  auto map = std::make_shared<Mapping>();
  map->data = static_cast<const char*>(addr);
  map->size = static_cast<std::size_t>(st.st_size);
  CacheFooter f{};
  std::memcpy(&f, map->data + map->size - sizeof f, sizeof f);
  if (f.fingerprint != fingerprint(files, vocabs, max_len)) return std::nullopt;  // built from other inputs
  if (!well_formed_cache({map->data, map->size}, max_len, vocabs.src.size(), vocabs.tgt.size())) return std::nullopt;
  EncodedCorpus c;
  c.map_ = map;
  c.index_ = reinterpret_cast<const uint64_t*>(map->data + f.index_offset);
  c.num_pairs_ = static_cast<int64_t>(f.num_pairs);
  c.token_width_ = static_cast<int>(f.token_width);
  c.stats_ = f.stats;
  NMT_INFO("data", "using cache {}", cache_path);
  return c;
}

EncodedCorpus EncodedCorpus::open(const FilePair& files, const Vocabs& vocabs, int64_t max_len,
                                  const std::string& cache_path) {
  ensure_dir(std::filesystem::path(cache_path).parent_path().string());
  std::optional<EncodedCorpus> c = open_existing(files, vocabs, max_len, cache_path);
  if (!c) {
    NMT_INFO("data", "encoding {} and {} into {} (none there, or one of other inputs, or damaged)", files.src,
             files.tgt, cache_path);
    build_cache(files, vocabs, max_len, cache_path, fingerprint(files, vocabs, max_len));
    c = open_existing(files, vocabs, max_len, cache_path);
    if (!c) throw SystemError("cache '" + cache_path + "' is unreadable right after it was written");
  }
  NMT_INFO("data", "{}: {} pairs read, {} kept; {} with an empty side and {} longer than {} pieces dropped",
           files.src, c->stats_.lines, c->num_pairs_, c->stats_.empty, c->stats_.too_long, max_len);
  if (c->num_pairs_ == 0) {
    throw DataError("corpus '" + files.src + "' has no usable pairs after filtering (data.max_len = " +
                    std::to_string(max_len) + ")");
  }
  return std::move(*c);
}

int32_t EncodedCorpus::src_len(int64_t i) const {
  uint32_t len;
  std::memcpy(&len, map_->data + index_[i], sizeof len);
  return static_cast<int32_t>(len);
}

int32_t EncodedCorpus::tgt_len(int64_t i) const {
  uint32_t len;
  std::memcpy(&len, map_->data + index_[i] + 4, sizeof len);
  return static_cast<int32_t>(len);
}

void EncodedCorpus::read(uint64_t offset, int32_t len, std::vector<int32_t>& out) const {
  const char* p = map_->data + offset;
  for (int32_t k = 0; k < len; ++k) {
    if (token_width_ == 2) {
      uint16_t v;
      std::memcpy(&v, p + 2 * k, 2);
      out.push_back(v);
    } else {
      uint32_t v;
      std::memcpy(&v, p + 4 * k, 4);
      out.push_back(static_cast<int32_t>(v));
    }
  }
}

void EncodedCorpus::release_pages() const {
  // The mapping is read-only and shared: MADV_DONTNEED drops nothing but this process's page-table entries.
  if (map_ && map_->data != nullptr) ::madvise(const_cast<char*>(map_->data), map_->size, MADV_DONTNEED);
}

void EncodedCorpus::src(int64_t i, std::vector<int32_t>& out) const { read(index_[i] + 8, src_len(i), out); }

void EncodedCorpus::tgt(int64_t i, std::vector<int32_t>& out) const {
  read(index_[i] + 8 + static_cast<uint64_t>(src_len(i)) * token_width_, tgt_len(i), out);
}

}  // namespace nmt::data
