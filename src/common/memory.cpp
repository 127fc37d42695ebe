#include "nmt/common/memory.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "nmt/common/error.h"

namespace nmt {

double peak_rss_mb() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KB on Linux
}

uint64_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (meminfo >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb * 1024;
  }
  return static_cast<uint64_t>(::sysconf(_SC_AVPHYS_PAGES)) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

void require_memory(double bytes, const std::string& what) {
  const uint64_t available = available_memory_bytes();
  if (!(bytes <= static_cast<double>(available))) {
    throw ConfigError(what + " needs " + std::to_string(static_cast<uint64_t>(std::min(bytes, 1e18) / (1 << 20))) +
                      " MiB of memory; this machine has " + std::to_string(available >> 20) + " MiB available");
  }
}

}  // namespace nmt
