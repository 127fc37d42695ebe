#include "nmt/common/threads.h"

#include <dlfcn.h>
#include <sched.h>

#include <thread>

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
  // so the two pools never run at once and the same count does not oversubscribe.
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
