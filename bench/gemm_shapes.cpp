// LibTorch's mm (OpenBLAS behind Debian's build) against oneDNN's sgemm, which
// nmt's layers use (nmt/model/fused.h), for the matrix products of the
// Multi30k models, at 1 and 2 threads. Prints GFLOP/s per shape and the ratio:
//   build/bench/gemm_shapes [--repeats N]
// Shapes are y [M, N] = x [M, K] W^T, M = rows of a training batch (about
// 4096 target tokens) or of a search step (64 sentences x beam 5).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <torch/torch.h>

#include "nmt/common/isa.h"
#include "nmt/common/threads.h"
#include "nmt/model/fused.h"

namespace {

using Clock = std::chrono::steady_clock;

template <class F>
double best_seconds(F&& product, int repeats) {
  for (int i = 0; i < 3; ++i) product();
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    for (int i = 0; i < 10; ++i) product();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count() / 10);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  nmt::tune_process(argv);
  int repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--repeats") {
      repeats = std::max(1, std::atoi(argv[i + 1]));
    } else {
      std::fprintf(stderr, "gemm_shapes: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  const auto sgemm = nmt::model::onednn_sgemm();
  if (sgemm == nullptr) {
    std::fprintf(stderr, "gemm_shapes: oneDNN's sgemm is not visible in this LibTorch\n");
    return 1;
  }
  torch::NoGradGuard no_grad;
  struct Shape {
    const char* what;
    int64_t m, k, n;
  };
  const Shape shapes[] = {
      {"2048^3 (the roofline)", 2048, 2048, 2048},
      {"Transformer QKV projection", 4096, 256, 768},
      {"Transformer attention output", 4096, 256, 256},
      {"Transformer FFN in", 4096, 256, 1024},
      {"Transformer FFN out", 4096, 1024, 256},
      {"Transformer output layer", 4096, 256, 8000},
      {"RNNsearch GRU input gates", 2000, 512, 1536},
      {"RNNsearch output layer", 2000, 256, 8000},
      {"search step, output layer", 320, 256, 8000},
      {"search step, FFN in", 320, 256, 1024},
  };
  std::printf("host %s, OpenBLAS core %s\n", std::string(nmt::name_of(nmt::host_isa())).c_str(),
              nmt::blas_info().core.c_str());
  std::printf("| shape | M x K x N | threads | LibTorch mm GFLOP/s | oneDNN sgemm GFLOP/s | oneDNN / mm |\n");
  std::printf("|---|---|---:|---:|---:|---:|\n");
  for (const int threads : {1, 2}) {
    nmt::set_threads(threads);
    for (const auto& s : shapes) {
      const auto x = torch::randn({s.m, s.k}), w = torch::randn({s.n, s.k});
      auto y = torch::empty({s.m, s.n});
      const double t_mm = best_seconds([&] { torch::mm_out(y, x, w.t()); }, repeats);
      const double t_dnnl = best_seconds(
          [&] {
            sgemm('N', 'T', s.m, s.n, s.k, 1.0f, x.data_ptr<float>(), s.k, w.data_ptr<float>(), s.k, 0.0f,
                  y.data_ptr<float>(), s.n);
          },
          repeats);
      const double flops = 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
      std::printf("| %s | %lld x %lld x %lld | %d | %.0f | %.0f | %.2f |\n", s.what, static_cast<long long>(s.m),
                  static_cast<long long>(s.k), static_cast<long long>(s.n), threads, flops / t_mm / 1e9,
                  flops / t_dnnl / 1e9, t_mm / t_dnnl);
      std::fflush(stdout);
    }
  }
  return 0;
}
