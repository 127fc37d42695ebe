#include "nmt/common/threads.h"

#include <dlfcn.h>
#include <malloc.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>

#include <thread>
#include <utility>

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

namespace nmt {
namespace {

template <class F>
F find_symbol(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_DEFAULT, name));
}

}  // namespace

void tune_process(char** argv) {
  // Freed blocks stay in the heap for the next step's tensors of the same sizes.
  ::mallopt(M_MMAP_MAX, 0);
  ::mallopt(M_TRIM_THRESHOLD, INT32_MAX);
  bool changed = false;
  for (const auto& [name, value] : {std::pair{"OMP_WAIT_POLICY", "PASSIVE"}, std::pair{"OPENBLAS_THREAD_TIMEOUT", "4"}}) {
    if (std::getenv(name) == nullptr) {
      ::setenv(name, value, 0);
      changed = true;
    }
  }
  if (changed) ::execv("/proc/self/exe", argv);  // returns only on failure: run untuned
}

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

int set_threads(int requested) {
  const int n = requested > 0 ? requested : available_cores();
  at::set_num_threads(n);
  // OpenBLAS keeps its own pool; GEMMs run outside LibTorch's parallel regions,
  // so the two pools never compute at once and the same count does not
  // oversubscribe, as long as neither spins while the other works (tune_process).
  if (auto set = find_symbol<void (*)(int)>("openblas_set_num_threads")) set(n);
  return n;
}

BlasInfo blas_info() {
  BlasInfo info;
  if (void* sgemm = ::dlsym(RTLD_DEFAULT, "sgemm_")) {
    Dl_info dl{};
    if (::dladdr(sgemm, &dl) != 0 && dl.dli_fname != nullptr) info.library = dl.dli_fname;
  }
  if (auto config = find_symbol<char* (*)()>("openblas_get_config")) info.config = config();  // "OpenBLAS 0.3.21 DYNAMIC_ARCH ..."
  info.reference = info.config.empty() && info.library.find("/blas/") != std::string::npos;
  return info;
}

std::string runtime_summary() {
  std::string out = "LibTorch " TORCH_VERSION;
  out += torch::cuda::is_available() ? " (CUDA, " + std::to_string(torch::cuda::device_count()) + " devices)"
                                     : " (CPU)";
  const BlasInfo blas = blas_info();
  out += "\nBLAS: ";
  if (!blas.config.empty()) {
    out += blas.config;
  } else if (blas.reference) {
    out += "reference BLAS (slow: install libopenblas0-pthread)";
  } else {
    out += blas.library.empty() ? "bundled with LibTorch" : blas.library;
  }
  if (!blas.library.empty()) out += " [" + blas.library + "]";
  out += "\nthreads: " + std::to_string(at::get_num_threads()) + " intra-op of " + std::to_string(available_cores()) +
         " cores";
  return out;
}

}  // namespace nmt
