// CPU threads and the BLAS behind LibTorch's matrix products.
#pragma once

#include <cstdint>
#include <string>

namespace nmt {

/// Call first in main(). On a few cores, LibTorch's OpenMP workers and OpenBLAS's
/// pthreads spin between parallel regions and take the cores from each other,
/// and glibc maps and unmaps every large tensor, page-faulting it in each step:
/// together they halved training speed. This sets glibc to keep freed memory for
/// reuse, and, where OMP_WAIT_POLICY or OPENBLAS_THREAD_TIMEOUT is unset, sets
/// them (passive, 4) and re-executes the program once, since both libraries read
/// them when they are loaded, before main. The verbs that only search
/// (translate, eval, bench translate) keep libgomp's own wait, which spins a
/// while before sleeping. GLOG_minloglevel=3 keeps LibTorch's glog lines (c10d's
/// failed connects) off stderr. Under NMT_CPU_ISA (nmt/common/isa.h)
/// it also caps ATen, OpenBLAS and oneDNN at that level the same way. Values the
/// user set are kept. A bad NMT_CPU_ISA or NMT_GEMM stops it with one line and exit 2.
void tune_process(char** argv);

/// Cores this process may run on (its affinity mask).
int available_cores();

/// Sets LibTorch's intra-op threads and OpenBLAS's pool to `requested`
/// (0 = every available core; more than those: a warning, and every core) and
/// returns the number used.
int set_threads(int64_t requested);

struct BlasInfo {
  std::string library;  ///< the shared object that provides sgemm_, or "" if none is visible
  std::string config;   ///< OpenBLAS's own description, when it is OpenBLAS
  std::string core;     ///< the CPU core OpenBLAS's kernels are built for ("SkylakeX", "Haswell"), or ""
  bool reference = false;  ///< the slow reference BLAS
};

BlasInfo blas_info();

/// One line per fact: LibTorch version and device support, BLAS, CPU level, threads.
std::string runtime_summary();

}  // namespace nmt
