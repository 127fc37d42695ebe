// Preloaded (LD_PRELOAD), fails write(2) and fsync(2) on one file as a failing
// disk would: with errno NMT_FAULT_ERRNO (default EIO) on every file whose path
// contains NMT_FAULT_PATH (so also on the temporary file it is written through).
// Everything else goes through untouched.
#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool hit(int fd) {
  const char* want = std::getenv("NMT_FAULT_PATH");
  if (want == nullptr || *want == '\0' || fd <= 2) return false;
  char link[64], path[4096];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = ::readlink(link, path, sizeof path - 1);
  if (n <= 0) return false;
  path[n] = '\0';
  if (std::strstr(path, want) == nullptr) return false;
  const char* code = std::getenv("NMT_FAULT_ERRNO");
  errno = code != nullptr ? std::atoi(code) : EIO;
  return true;
}

template <class F>
F real(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" ssize_t write(int fd, const void* buf, size_t n) {
  static const auto next = real<ssize_t (*)(int, const void*, size_t)>("write");
  return hit(fd) ? -1 : next(fd, buf, n);
}

extern "C" int fsync(int fd) {
  static const auto next = real<int (*)(int)>("fsync");
  return hit(fd) ? -1 : next(fd);
}
