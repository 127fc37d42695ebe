// Logging: spdlog to stderr, tagged by area:
//   [data] 29000 pairs read, 0 filtered
// stdout is reserved for translations and results.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace nmt::log {

/// Sets up the stderr sink. verbosity: 0 = warnings only, 1 = info, 2 = debug.
void init(int verbosity);

/// While it lives, log lines also go to `path` (appended), e.g. model_dir/train.log.
class FileLog {
 public:
  /// Opens `path`; "cannot open 'PATH': REASON" (common/fs.h) when it cannot.
  explicit FileLog(const std::string& path);
  ~FileLog();
  FileLog(const FileLog&) = delete;
  FileLog& operator=(const FileLog&) = delete;

  /// Throws the error of the first line that could not be written, e.g.
  /// SystemError "cannot write 'PATH': No space left on device".
  void check() const;

 private:
  class Sink;
  std::shared_ptr<Sink> sink_;
};

}  // namespace nmt::log

#define NMT_INFO(area, ...) spdlog::info("[" area "] " __VA_ARGS__)
#define NMT_WARN(area, ...) spdlog::warn("[" area "] " __VA_ARGS__)
#define NMT_DEBUG(area, ...) spdlog::debug("[" area "] " __VA_ARGS__)
