#include "nmt/common/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "nmt/common/error.h"
#include "nmt/common/fs.h"

namespace nmt {

DirLock::DirLock(const std::string& dir) {
  refuse_file_links(dir);
  const std::string path = dir + "/.lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) throw SystemError("cannot open '" + path + "': " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char pid[32] = {};
    const ssize_t n = ::pread(fd_, pid, sizeof pid - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) throw SystemError("cannot lock '" + path + "': " + std::strerror(err));
    const std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : "unknown";
    throw SystemError("model_dir '" + dir + "' is in use by another nmt (pid " + holder +
                      "): wait for it to finish, or choose another model_dir");
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The lock holds without the PID; only the message of a second run would lack it.
  }
  stale_removed_ = remove_stale_temporaries({dir, dir + "/checkpoints", dir + "/cache"});
}

DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace nmt
