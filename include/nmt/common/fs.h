// File helpers whose errors name the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nmt {

/// A file written with plain POSIX calls; every failure is "cannot ACTION
/// 'PATH': REASON", a SystemError for a full disk, an I/O error or a size
/// limit, a DataError otherwise.
class PosixFile {
 public:
  /// open(2) with `flags` (O_CLOEXEC added), mode 0644 when it creates the
  /// file. Errors name `name` (default: `path`), e.g. the file a temporary one becomes.
  PosixFile(std::string path, int flags, std::string name = {});
  ~PosixFile();
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;

  /// Writes all `n` bytes, retrying short writes and EINTR.
  void write(const void* data, std::size_t n);
  /// fsync(2).
  void sync();
  /// close(2), checked (the destructor closes unchecked).
  void close();
  /// Bytes written so far.
  uint64_t offset() const { return offset_; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  [[noreturn]] void fail(const char* action) const;

 private:
  std::string path_;
  std::string name_;
  int fd_ = -1;
  uint64_t offset_ = 0;
};

/// Gathers small writes to a PosixFile into writes of 1 MB. flush() before the
/// writer goes away: a destructor cannot report a failed write.
class BufferedWriter {
 public:
  explicit BufferedWriter(PosixFile& file);
  void write(const void* data, std::size_t n);
  void flush();
  /// Bytes written so far, the buffered ones included.
  uint64_t offset() const { return file_.offset() + buf_.size(); }

 private:
  static constexpr std::size_t kSize = 1 << 20;
  PosixFile& file_;
  std::vector<char> buf_;
};

/// Writes all of `text` to standard output, retrying short writes; a failed
/// write is a SystemError "cannot write to standard output: REASON", and a
/// reader that went away (EPIPE) is OutputClosed.
void write_stdout(std::string_view text);

/// Whole file as a string; DataError "cannot read 'PATH': REASON" on failure.
std::string read_file(const std::string& path);

/// Writes `content` to a temporary file beside `path`, fsyncs it, renames it
/// over `path` and fsyncs the directory, so a crash leaves either the old or
/// the new file, never a torn one.
void write_file_atomic(const std::string& path, const std::string& content);

/// Makes `to` a hard link to `from`, replacing `to` atomically (a copy where
/// the file system has no hard links).
void link_atomic(const std::string& from, const std::string& to);

/// The temporary file that an atomic write of `path` goes through before it
/// is renamed over it: "PATH.tmp.PID".
std::string temporary_path(const std::string& path);

/// Deletes the temporary files (temporary_path) under `dir` and its
/// subdirectories that a killed process left behind; returns how many. Only
/// safe while holding the directory's lock, which calls it (common/lock.h).
int64_t remove_stale_temporaries(const std::string& dir);

/// Creates `dir` and its parents; DataError naming it when that fails.
void ensure_dir(const std::string& dir);

/// Throws DataError unless `path` names a readable regular file.
void require_readable_file(const std::string& path, const std::string& what);

}  // namespace nmt
