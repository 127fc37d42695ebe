// CPU threads and the BLAS behind LibTorch's matrix products.
#pragma once

#include <string>

namespace nmt {

/// Cores this process may run on (its affinity mask).
int available_cores();

/// Sets LibTorch's intra-op threads and OpenBLAS's pool to `requested`
/// (0 = every available core) and returns the number used.
int set_threads(int requested);

struct BlasInfo {
  std::string library;  ///< the shared object that provides sgemm_, or "" if none is visible
  std::string config;   ///< OpenBLAS's own description, when it is OpenBLAS
  bool reference = false;  ///< the slow reference BLAS
};

BlasInfo blas_info();

/// One line per fact: LibTorch version and device support, BLAS, threads.
std::string runtime_summary();

}  // namespace nmt
