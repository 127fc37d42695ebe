#include "nmt/common/threads.h"

#include <dlfcn.h>
#include <malloc.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <ATen/Parallel.h>
#include <c10/util/Logging.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include "nmt/common/error.h"
#include "nmt/common/error_line.h"
#include "nmt/common/isa.h"
#include "nmt/common/logging.h"

namespace nmt {
namespace {

template <class F>
F find_symbol(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_DEFAULT, name));
}

// What each library is told for each level of NMT_CPU_ISA, in Isa's order,
// so that an AVX-512 host can run every kernel as an AVX2 host would (nullptr:
// leave the library to choose). Without NMT_CPU_ISA none applies.
struct LibraryIsa {
  const char* aten;      // ATEN_CPU_CAPABILITY
  const char* openblas;  // OPENBLAS_CORETYPE
  const char* onednn;    // ONEDNN_MAX_CPU_ISA
};
constexpr LibraryIsa kLibraryIsa[] = {
    {"default", "Prescott", "SSE41"},
    {"avx2", "Haswell", "AVX2"},
    {"avx2", nullptr, nullptr},  // ATen's AVX-512 kernels were no faster than its AVX2 ones here
};

// Whether the verb of `argv` only searches (translate, eval, bench translate).
// Flags before the verb (-q, -v) take no values.
bool only_searches(char** argv) {
  std::vector<std::string> words;
  for (char** a = argv + 1; *a != nullptr && words.size() < 2; ++a) {
    if ((*a)[0] != '-') words.emplace_back(*a);
  }
  if (words.empty()) return false;
  return words[0] == "translate" || words[0] == "eval" ||
         (words[0] == "bench" && words.size() > 1 && words[1] == "translate");
}

}  // namespace

void tune_process(char** argv) {
  // Freed blocks stay in the heap for the next step's tensors of the same sizes.
  ::mallopt(M_MMAP_MAX, 0);
  ::mallopt(M_TRIM_THRESHOLD, INT32_MAX);
  std::optional<Isa> requested;
  try {
    requested = requested_isa();
    requested_gemm();  // checked here, where a bad value can stop the program with one line
  } catch (const ConfigError& e) {
    print_error_line(e.what());
    std::exit(2);
  }
  const LibraryIsa& libraries = kLibraryIsa[static_cast<int>(requested.value_or(host_isa()))];
  const std::pair<const char*, const char*> settings[] = {
      // Search runs thousands of small parallel regions per batch, and nothing
      // else computes between them: there libgomp's own policy (spin a while,
      // then sleep) beat passive waits by 1.1-1.5x in beam search (docs/benchmarks.md).
      {"OMP_WAIT_POLICY", only_searches(argv) ? nullptr : "PASSIVE"},
      {"OPENBLAS_THREAD_TIMEOUT", "4"},
      // LibTorch's own log lines, its warnings among them, go through glog (1.13)
      // or c10's logging (2.x, which c10::initLogging below tells): below fatal,
      // none. c10d's sockets log each failed connect in several lines, and nmt
      // reports what failed in one line of its own.
      {"GLOG_minloglevel", "3"},
      {"TORCH_CPP_LOG_LEVEL", "FATAL"},
      {"OPENBLAS_CORETYPE", requested ? libraries.openblas : nullptr},
      {"ATEN_CPU_CAPABILITY", requested ? libraries.aten : nullptr},
      {"ONEDNN_MAX_CPU_ISA", requested ? libraries.onednn : nullptr},
  };
  bool changed = false;
  for (const auto& [name, value] : settings) {
    if (value != nullptr && std::getenv(name) == nullptr) {
      ::setenv(name, value, 0);
      changed = true;
    }
  }
  if (changed) ::execv("/proc/self/exe", argv);  // returns only on failure: run untuned
  c10::initLogging();
}

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

int set_threads(int64_t requested) {
  const int cores = available_cores();
  if (requested > cores) {  // more threads than cores only take turns on them; 100000 would not start
    NMT_WARN("threads", "{} threads asked for, but this process may run on {} cores: using {}", requested, cores,
             cores);
  }
  const int n = requested > 0 ? static_cast<int>(std::min<int64_t>(requested, cores)) : cores;
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
  if (auto core = find_symbol<char* (*)()>("openblas_get_corename")) info.core = core();
  info.reference = info.config.empty() && info.library.find("/blas/") != std::string::npos;
  return info;
}

std::string runtime_summary() {
  std::string out = "LibTorch " TORCH_VERSION;
#ifdef NMT_TORCH_CUDA
  out += torch::cuda::is_available() ? " (CUDA, " + std::to_string(torch::cuda::device_count()) + " devices)"
                                     : " (CUDA build; no GPU usable here)";
#else
  out += " (CPU)";
#endif
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
  out += "\nCPU: " + std::string(name_of(host_isa())) + ", nmt's kernels " + std::string(name_of(kernel_isa()));
  out += "\nthreads: " + std::to_string(at::get_num_threads()) + " intra-op of " + std::to_string(available_cores()) +
         " cores";
  return out;
}

}  // namespace nmt
