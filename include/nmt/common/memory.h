// Memory use of this process.
#pragma once

#include <cstdint>
#include <string>

namespace nmt {

/// Peak resident memory of this process so far, in MB.
double peak_rss_mb();

/// Bytes of memory this machine has available now (MemAvailable, or the
/// free physical pages where /proc/meminfo has none).
uint64_t available_memory_bytes();

/// A ConfigError, "WHAT needs N MiB of memory; this machine has M MiB
/// available", when `bytes` is more than available_memory_bytes(). For
/// sizes a user asks for (a GEMM's size, a batch), before LibTorch allocates.
void require_memory(double bytes, const std::string& what);

}  // namespace nmt
