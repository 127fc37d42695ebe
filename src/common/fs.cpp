#include "nmt/common/fs.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "nmt/common/error.h"
#include "nmt/common/memory.h"

namespace nmt {
namespace {

// A full disk, an I/O error or a file-size limit is the system's failure (exit
// 1); a missing, unreadable or misplaced path is the user's input (exit 2).
[[noreturn]] void fail(const std::string& action, const std::string& path, int err) {
  const std::string message = "cannot " + action + " '" + path + "': " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT || err == EIO || err == EFBIG || err == EROFS) throw SystemError(message);
  throw DataError(message);
}

// Writes all `n` bytes to `fd`, retrying short writes and EINTR; 0, or the
// errno of the write that failed.
int write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return 0;
}

// Renames tmp over path, then fsyncs the directory so the rename itself is durable.
void rename_synced(const std::string& tmp, const std::string& path) {
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail("rename to", path, err);
  }
  const std::filesystem::path target(path);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace

PosixFile::PosixFile(std::string path, int flags, std::string name)
    : path_(std::move(path)), name_(name.empty() ? path_ : std::move(name)) {
  fd_ = ::open(path_.c_str(), flags | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("open");
}

PosixFile::~PosixFile() {
  if (fd_ >= 0) ::close(fd_);
}

void PosixFile::write(const void* data, std::size_t n) {
  if (const int err = write_all(fd_, static_cast<const char*>(data), n); err != 0) nmt::fail("write", name_, err);
  offset_ += n;
}

void PosixFile::sync() {
  if (::fsync(fd_) != 0) fail("sync");
}

void PosixFile::close() {
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close");
}

void PosixFile::fail(const char* action) const { nmt::fail(action, name_, errno); }

BufferedWriter::BufferedWriter(PosixFile& file) : file_(file) { buf_.reserve(kSize); }

void BufferedWriter::write(const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  buf_.insert(buf_.end(), p, p + n);
  if (buf_.size() >= kSize) flush();
}

void BufferedWriter::flush() {
  file_.write(buf_.data(), buf_.size());
  buf_.clear();
}

namespace {

// Started with stdout closed, nmt can find descriptor 1 taken by a descriptor a
// library opened as it loaded, before main (CUDA LibTorch's eventfd): that is not
// the caller's output, and writes to it fail, or, 8 bytes at a time, vanish.
// Returns what descriptor 1 is then ("anon_inode:[eventfd]"), or "".
const std::string& stdout_taken_by_a_library() {
  static const std::string taken = [] {
    char target[256];
    const ssize_t n = ::readlink("/proc/self/fd/1", target, sizeof target - 1);
    const std::string link = n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string();
    return link.rfind("anon_inode:", 0) == 0 ? link : std::string();
  }();
  return taken;
}

}  // namespace

void write_stdout(std::string_view text) {
  if (const std::string& taken = stdout_taken_by_a_library(); !taken.empty()) {
    throw SystemError(std::string("cannot write to standard output: ") + std::strerror(EBADF) +
                      " (it was closed when nmt started; descriptor 1 is now a library's " + taken + ")");
  }
  const int err = write_all(STDOUT_FILENO, text.data(), text.size());
  if (err == EPIPE) throw OutputClosed();
  if (err != 0) throw SystemError(std::string("cannot write to standard output: ") + std::strerror(err));
}

std::string read_file(const std::string& path, std::size_t max_bytes, const std::string& what) {
  require_readable_file(path, "file");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("read", path, errno);
  std::string out;
  char chunk[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      fail("read", path, err);
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      ::close(fd);
      throw DataError("file '" + path + "' is larger than " + std::to_string(max_bytes >> 20) + " MiB, more than a " +
                      what + " can be");
    }
    out.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

void require_readable_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) fail("read", path, ec.value());  // e.g. a directory without access
  if (!std::filesystem::exists(status)) throw DataError(what + " '" + path + "' does not exist");
  if (std::filesystem::is_directory(status)) throw DataError(what + " '" + path + "' is a directory, not a file");
  if (::access(path.c_str(), R_OK) != 0) fail("read", path, errno);
}

void require_regular_file(const std::string& path, const std::string& what) {
  require_readable_file(path, what);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    throw DataError(what + " '" + path + "' is not a regular file (a pipe or a device)");
  }
}

void require_output_is_not_an_input(const std::string& output, const std::vector<std::string>& inputs,
                                    const std::string& flag) {
  struct stat out {};
  if (::stat(output.c_str(), &out) != 0 || !S_ISREG(out.st_mode)) return;  // new, or a device: nothing to lose
  for (const std::string& in : inputs) {
    struct stat st {};
    if (::stat(in.c_str(), &st) == 0 && st.st_dev == out.st_dev && st.st_ino == out.st_ino) {
      throw DataError(flag + " '" + output + "' is the file '" + in +
                      "', which this command reads or its run keeps: write the output elsewhere");
    }
  }
}

std::vector<std::string> files_under(const std::vector<std::string>& dirs) {
  std::vector<std::string> out;
  for (const auto& dir : dirs) {
    std::error_code ec;
    for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) && !it->is_symlink(ec)) out.push_back(it->path().string());
    }
  }
  return out;
}

void refuse_file_links(const std::string& dir) {
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec) && !std::filesystem::is_directory(it->path(), ec)) {
      throw DataError("'" + it->path().string() +
                      "' is a symbolic link: nmt writes its model directory's files itself, never through a link "
                      "(put a copy of the file in its place, or remove it)");
    }
  }
}

void ensure_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw DataError("cannot create directory '" + dir + "': " + ec.message());
  if (::access(dir.c_str(), W_OK | X_OK) != 0) fail("write to directory", dir, errno);
}

namespace {

constexpr std::string_view kTemporaryMark = ".nmt-partial.";

}  // namespace

std::string temporary_path(const std::string& path) {
  return path + std::string(kTemporaryMark) + std::to_string(::getpid());
}

bool is_temporary_name(std::string_view name) {
  const auto at = name.rfind(kTemporaryMark);
  if (at == std::string_view::npos || at == 0) return false;
  const std::string_view pid = name.substr(at + kTemporaryMark.size());
  return !pid.empty() && pid.size() <= 10 && pid.find_first_not_of("0123456789") == std::string_view::npos;
}

int64_t remove_stale_temporaries(const std::vector<std::string>& dirs) {
  int64_t removed = 0;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec)) {
      const std::string name = it->path().filename().string();
      struct stat st {};
      if (!is_temporary_name(name) || ::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      const long pid = std::stol(name.substr(name.rfind('.') + 1));
      if (pid == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // still running
      if (std::filesystem::remove(it->path(), ec)) ++removed;
    }
  }
  return removed;
}

namespace {

// The descriptor `path` names, as a shell gives one (/dev/stdout, /dev/stderr,
// /dev/fd/N, /proc/self/fd/N), or -1. Writing through it keeps the caller's
// offset: opening the path again would start a second one at 0 in a file.
int inherited_descriptor(const std::string& path) {
  if (path == "/dev/stdout") return STDOUT_FILENO;
  if (path == "/dev/stderr") return STDERR_FILENO;
  for (const std::string prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    if (path.rfind(prefix, 0) != 0 || path.size() == prefix.size() || path.size() > prefix.size() + 6) continue;
    const std::string n = path.substr(prefix.size());
    if (n.find_first_not_of("0123456789") == std::string::npos) return std::stoi(n);
  }
  return -1;
}

// Where an atomic write of `path` goes: `path`, or the regular file a symbolic
// link names; nullopt for a device, FIFO or socket, and for a stream the caller
// opened (/dev/stdout, /proc/self/fd/N), which are written in place: replacing
// the file behind one would leave the caller's descriptor on the old file.
std::optional<std::string> atomic_target(const std::string& path) {
  const auto stream = [](const std::string& p) { return p.rfind("/dev/", 0) == 0 || p.rfind("/proc/", 0) == 0; };
  if (stream(path)) return std::nullopt;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return path;  // nothing there yet (or unreadable: the write says why)
  std::string target = path;
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    const auto resolved = std::filesystem::canonical(path, ec);
    if (ec) throw DataError("cannot write '" + path + "': it is a symbolic link to a file that does not exist");
    target = resolved.string();
    if (stream(target)) return std::nullopt;
    if (::stat(target.c_str(), &st) != 0) fail("write", path, errno);
  }
  if (S_ISREG(st.st_mode)) return target;
  if (S_ISDIR(st.st_mode)) throw DataError("cannot write '" + path + "': it is a directory");
  return std::nullopt;
}

// The TemporaryFiles that exist, for a signal handler: a pointer to each one's
// path, which lives as long as the slot holds it.
constexpr int kSlots = 8;
std::atomic<const char*> g_in_flight[kSlots] = {};

}  // namespace

TemporaryFile::TemporaryFile(const std::string& path, int flags, const std::string& name)
    : tmp_(temporary_path(path)), path_(path) {
  ::unlink(tmp_.c_str());  // one a killed process of the same PID left
  for (int i = 0; i < kSlots && slot_ < 0; ++i) {
    const char* expected = nullptr;
    if (g_in_flight[i].compare_exchange_strong(expected, tmp_.c_str())) slot_ = i;
  }
  try {
    file_ = std::make_unique<PosixFile>(tmp_, flags | O_CREAT | O_EXCL | O_NOFOLLOW, name.empty() ? path_ : name);
  } catch (...) {
    if (slot_ >= 0) g_in_flight[slot_].store(nullptr);
    throw;
  }
}

TemporaryFile::~TemporaryFile() {
  if (file_) {
    file_.reset();
    ::unlink(tmp_.c_str());
  }
  if (slot_ >= 0) g_in_flight[slot_].store(nullptr);
}

void TemporaryFile::commit() {
  file_->sync();
  file_->close();
  file_.reset();
  rename_synced(tmp_, path_);
}

void remove_temporaries_in_flight() {
  for (auto& slot : g_in_flight) {
    if (const char* p = slot.load(); p != nullptr) ::unlink(p);
  }
}

void write_file_atomic(const std::string& given, const std::string& content) {
  const std::optional<std::string> target = atomic_target(given);
  if (const int fd = inherited_descriptor(given); fd >= 0) {  // -o /dev/stdout: through the caller's descriptor
    if (fd == STDOUT_FILENO) return write_stdout(content);
    if (const int err = write_all(fd, content.data(), content.size()); err != 0) fail("write", given, err);
    return;
  }
  if (!target) {  // a device, a FIFO or a stream: written to (after what it holds), never replaced
    PosixFile file(given, O_WRONLY | O_APPEND);
    file.write(content.data(), content.size());
    file.close();
    return;
  }
  TemporaryFile tmp(*target, O_WRONLY);
  tmp.file().write(content.data(), content.size());
  tmp.commit();
}

void link_atomic(const std::string& from, const std::string& to) {
  const std::string tmp = temporary_path(to);
  ::unlink(tmp.c_str());
  if (::link(from.c_str(), tmp.c_str()) != 0) {
    // A file system without hard links: a copy.
    write_file_atomic(to, read_file(from, available_memory_bytes() / 2, "checkpoint"));
    return;
  }
  rename_synced(tmp, to);
}

}  // namespace nmt
