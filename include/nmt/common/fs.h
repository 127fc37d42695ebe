// File helpers whose errors name the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
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

/// The temporary file an atomic write of `path` goes through: created afresh
/// (never through a link an earlier run left) at temporary_path(path), and
/// removed unless commit() renames it over `path`. While it exists it is
/// listed for remove_temporaries_in_flight(), so that a signal that ends the
/// process leaves none behind, wherever it was.
class TemporaryFile {
 public:
  /// `flags`: O_WRONLY or O_RDWR; errors name `name` (default: `path`).
  TemporaryFile(const std::string& path, int flags, const std::string& name = {});
  ~TemporaryFile();
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  PosixFile& file() { return *file_; }
  /// fsync(2), close(2), then renames it over `path` and fsyncs the directory.
  void commit();

 private:
  std::string tmp_;
  std::string path_;
  std::unique_ptr<PosixFile> file_;
  int slot_ = -1;
};

/// Unlinks every TemporaryFile that exists now. Async-signal-safe: for a
/// handler of a signal that ends the process (main installs one).
void remove_temporaries_in_flight();

/// Writes all of `text` to standard output, retrying short writes; a failed
/// write is a SystemError "cannot write to standard output: REASON", and a
/// reader that went away (EPIPE) is OutputClosed.
void write_stdout(std::string_view text);

/// Whole file as a string; DataError "cannot read 'PATH': REASON" on failure,
/// and past `max_bytes` (a FIFO, /dev/zero, a file too large to be a `what`)
/// DataError "file 'PATH' is larger than N MiB, more than a WHAT can be".
std::string read_file(const std::string& path, std::size_t max_bytes, const std::string& what);

/// Writes `content` to a temporary file beside `path`, fsyncs it, renames it
/// over `path` and fsyncs the directory, so a crash leaves either the old or
/// the new file, never a torn one. Only a regular file is ever replaced: a
/// symbolic link is followed to the file it names; a device, a FIFO or a path
/// under /dev or /proc (`-o /dev/stdout`) is appended to in place; and a
/// directory is a DataError.
void write_file_atomic(const std::string& path, const std::string& content);

/// Makes `to` a hard link to `from`, replacing `to` atomically (a copy where
/// the file system has no hard links).
void link_atomic(const std::string& from, const std::string& to);

/// The temporary file that an atomic write of `path` goes through before it
/// is renamed over it: "PATH.nmt-partial.PID".
std::string temporary_path(const std::string& path);

/// True for a name temporary_path() makes: "NAME.nmt-partial.PID".
bool is_temporary_name(std::string_view name);

/// Deletes the regular files directly in `dirs` (not below them) whose names
/// temporary_path() made for a process that no longer runs; returns how many.
/// Nothing else is touched: not a user's file, not a symbolic link, not a
/// subdirectory. Call it only for directories nmt owns, holding their lock
/// (common/lock.h).
int64_t remove_stale_temporaries(const std::vector<std::string>& dirs);

/// DataError unless `output` (the file `flag` names) is a file other than each
/// of `inputs`: nmt never writes over what it reads or a run keeps ("-o 'a.en'
/// is the file 'a.en', which ..."). Paths that do not exist differ from every file.
void require_output_is_not_an_input(const std::string& output, const std::vector<std::string>& inputs,
                                    const std::string& flag);

/// Every regular file under each of `dirs`, their subdirectories included
/// (links not followed): what a model directory keeps, for
/// require_output_is_not_an_input. A directory that does not exist adds none.
std::vector<std::string> files_under(const std::vector<std::string>& dirs);

/// Throws DataError when `dir`'s tree holds a symbolic link to anything but a
/// directory: a writer of nmt's own files there would write through it.
void refuse_file_links(const std::string& dir);

/// Creates `dir` and its parents; DataError naming it when that fails.
void ensure_dir(const std::string& dir);

/// Throws DataError unless `path` names something readable that is not a directory.
void require_readable_file(const std::string& path, const std::string& what);

/// As require_readable_file, and refuses a pipe or a device too: for files that
/// are read whole, or more than once (/dev/zero's one line never ends).
void require_regular_file(const std::string& path, const std::string& what);

}  // namespace nmt
