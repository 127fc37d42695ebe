// Memory use of this process.
#pragma once

#include <cstdint>
#include <string>

namespace nmt {

/// Peak resident memory of this process so far, in MB.
double peak_rss_mb();

/// Bytes of memory this process can have now: the machine's available memory
/// (MemAvailable), or less where its cgroup's memory.max or `ulimit -v` leaves less.
uint64_t available_memory_bytes();

/// A ConfigError, "WHAT needs N MiB of memory; M MiB are available to nmt",
/// when `bytes` is more than available_memory_bytes(). For
/// sizes a user asks for (a GEMM's size, a batch), before LibTorch allocates.
void require_memory(double bytes, const std::string& what);

}  // namespace nmt
