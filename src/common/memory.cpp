#include "nmt/common/memory.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <string>

#include "nmt/common/error.h"

namespace nmt {

double peak_rss_mb() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KB on Linux
}

namespace {

// The machine's: MemAvailable, or the free physical pages where /proc/meminfo has none.
uint64_t machine_available() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (meminfo >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb * 1024;
  }
  return static_cast<uint64_t>(::sysconf(_SC_AVPHYS_PAGES)) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// What this process's cgroup (v2) still lets it use; UINT64_MAX without a limit.
uint64_t cgroup_available() {
  std::ifstream self("/proc/self/cgroup");
  std::string line, group;
  while (std::getline(self, line)) {
    if (line.rfind("0::", 0) == 0) group = line.substr(3);
  }
  if (group.empty()) return UINT64_MAX;
  const std::string dir = "/sys/fs/cgroup" + (group == "/" ? std::string() : group);
  std::ifstream max_file(dir + "/memory.max"), current_file(dir + "/memory.current");
  uint64_t max = 0, current = 0;
  if (!(max_file >> max) || !(current_file >> current)) return UINT64_MAX;  // "max", or no such files
  return max > current ? max - current : 0;
}

// What `ulimit -v` (RLIMIT_AS) leaves beyond what this process has mapped; UINT64_MAX without one.
uint64_t address_space_available() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return UINT64_MAX;
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0;
  statm >> pages;
  const uint64_t mapped = pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  return limit.rlim_cur > mapped ? limit.rlim_cur - mapped : 0;
}

}  // namespace

uint64_t available_memory_bytes() {
  return std::min({machine_available(), cgroup_available(), address_space_available()});
}

void require_memory(double bytes, const std::string& what) {
  const uint64_t available = available_memory_bytes();
  if (!(bytes <= static_cast<double>(available))) {
    throw ConfigError(what + " needs " + std::to_string(static_cast<uint64_t>(std::min(bytes, 1e18) / (1 << 20))) +
                      " MiB of memory; " + std::to_string(available >> 20) + " MiB are available to nmt");
  }
}

}  // namespace nmt
