#include "nmt/common/fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nmt/common/error.h"

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

std::string read_file(const std::string& path) {
  require_readable_file(path, "file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("read", path, errno);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

void require_readable_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) fail("read", path, ec.value());  // e.g. a directory without access
  if (!std::filesystem::exists(status)) throw DataError(what + " '" + path + "' does not exist");
  if (std::filesystem::is_directory(status)) throw DataError(what + " '" + path + "' is a directory, not a file");
  if (::access(path.c_str(), R_OK) != 0) fail("read", path, errno);
}

void ensure_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw DataError("cannot create directory '" + dir + "': " + ec.message());
  if (::access(dir.c_str(), W_OK | X_OK) != 0) fail("write to directory", dir, errno);
}

std::string temporary_path(const std::string& path) { return path + ".tmp." + std::to_string(::getpid()); }

namespace {

// "NAME.tmp.PID", or "NAME.tmp.PID.index" (the corpus cache's second file).
bool is_temporary_name(const std::string& name) {
  const auto at = name.rfind(".tmp.");
  if (at == std::string::npos || at == 0) return false;
  std::string rest = name.substr(at + 5);
  if (rest.size() > 6 && rest.compare(rest.size() - 6, 6, ".index") == 0) rest.resize(rest.size() - 6);
  return !rest.empty() && rest.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

int64_t remove_stale_temporaries(const std::string& dir) {
  int64_t removed = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && is_temporary_name(it->path().filename().string()) &&
        std::filesystem::remove(it->path(), ec)) {
      ++removed;
    }
  }
  return removed;
}

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::string tmp = temporary_path(path);
  try {
    PosixFile file(tmp, O_WRONLY | O_CREAT | O_TRUNC, path);
    file.write(content.data(), content.size());
    file.sync();
    file.close();
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  rename_synced(tmp, path);
}

void link_atomic(const std::string& from, const std::string& to) {
  const std::string tmp = temporary_path(to);
  ::unlink(tmp.c_str());
  if (::link(from.c_str(), tmp.c_str()) != 0) {
    write_file_atomic(to, read_file(from));  // a file system without hard links
    return;
  }
  rename_synced(tmp, to);
}

}  // namespace nmt
