// Helpers of the libFuzzer targets (scripts/fuzz.sh): input as a file, and a
// failure that the fuzzer reports as a crash, with the input that caused it.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace nmt::fuzz {

/// The input as a file that nmt opens by path: an in-memory file, /proc/self/fd/N.
class MemoryFile {
 public:
  MemoryFile(const uint8_t* data, std::size_t size) : fd_(::memfd_create("fuzz", 0)) {
    if (fd_ < 0 || ::write(fd_, data, size) != static_cast<ssize_t>(size)) std::abort();
  }
  ~MemoryFile() { ::close(fd_); }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

/// A fresh directory for a target that reads a file by its place in one
/// (best.json, metrics.jsonl): "/tmp/nmt-fuzz-NAME-XXXXXX".
inline std::string make_directory(const std::string& name) {
  std::string path = "/tmp/nmt-fuzz-" + name + "-XXXXXX";
  if (::mkdtemp(path.data()) == nullptr) std::abort();
  return path;
}

/// Writes the input to `path`, replacing what was there.
inline void write_input(const std::string& path, const uint8_t* data, std::size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) std::abort();
}

/// A property of nmt that the input broke.
[[noreturn]] inline void violated(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "property violated: %s: %.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

/// An error message must be one line (nmt prints it as one).
inline void check_message(const char* what) {
  if (std::string_view(what).find('\n') != std::string_view::npos) violated("error message of several lines", what);
}

}  // namespace nmt::fuzz
