#include "nmt/train/metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <fcntl.h>

namespace nmt::train {

MetricsLog::MetricsLog(const std::string& path) : file_(path, O_WRONLY | O_CREAT | O_APPEND) {
  // A run killed mid-line left a record without its newline: the next one starts on a line of its own.
  char last = '\n';
  if (const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    const off_t size = ::lseek(fd, 0, SEEK_END);
    if (size > 0 && ::pread(fd, &last, 1, size - 1) != 1) last = '\n';
    ::close(fd);
  }
  if (last != '\n') file_.write("\n", 1);
}

void MetricsLog::write(const nlohmann::json& event) {
  const std::string line = event.dump() + "\n";
  file_.write(line.data(), line.size());
}

}  // namespace nmt::train
