// LibTorch's mm (OpenBLAS behind Debian's build) against oneDNN's sgemm, which
// nmt's layers use (nmt/model/fused.h), for the matrix products of the
// Multi30k models, at 1 and 2 threads. Prints GFLOP/s per shape and the ratio:
//   build/bench/gemm_shapes [--repeats N] [--threads N]
// Shapes are y [M, N] = x [M, K] W^T, M = rows of a training batch (about
// 4096 target tokens) or of a search step (64 sentences x beam 5). A training
// layer runs three products: that one (forward), dx [M, K] = dy [M, N] W
// (backward, input) and dW [N, K] = dy^T x (backward, weight), each its own row,
// with the library nmt::model::gemm_for runs it through on this host.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

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
  std::vector<int> thread_counts{1, 2};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--repeats") {
      repeats = std::max(1, std::atoi(argv[i + 1]));
    } else if (std::string(argv[i]) == "--threads") {
      thread_counts = {std::max(1, std::atoi(argv[i + 1]))};
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
    bool backward;  // a training layer's, which runs dx and dW too; the roofline and search steps run forward only
  };
  const Shape shapes[] = {
      {"2048^3 (the roofline)", 2048, 2048, 2048, false},
      {"Transformer QKV projection", 4096, 256, 768, true},
      {"Transformer attention output", 4096, 256, 256, true},
      {"Transformer FFN in", 4096, 256, 1024, true},
      {"Transformer FFN out", 4096, 1024, 256, true},
      {"Transformer output layer", 4096, 256, 8000, true},
      {"RNNsearch GRU input gates", 2000, 512, 1536, true},
      {"RNNsearch output layer", 2000, 256, 8000, true},
      {"search step, output layer", 320, 256, 8000, false},
      {"search step, FFN in", 320, 256, 1024, false},
  };
  std::printf("host %s, OpenBLAS core %s\n", std::string(nmt::name_of(nmt::host_isa())).c_str(),
              nmt::blas_info().core.c_str());
  std::printf("| shape | M x K x N | product | threads | LibTorch mm GFLOP/s | oneDNN sgemm GFLOP/s | oneDNN / mm "
              "| nmt runs |\n");
  std::printf("|---|---|---|---:|---:|---:|---:|---|\n");
  for (const int threads : thread_counts) {
    nmt::set_threads(threads);
    for (const auto& s : shapes) {
      const auto x = torch::randn({s.m, s.k}), w = torch::randn({s.n, s.k}), dy = torch::randn({s.m, s.n});
      auto y = torch::empty({s.m, s.n}), dx = torch::empty({s.m, s.k}), dw = torch::empty({s.n, s.k});
      const float *px = x.data_ptr<float>(), *pw = w.data_ptr<float>(), *pdy = dy.data_ptr<float>();
      // (name, op(A) as nmt::model::affine runs it, LibTorch's product, oneDNN's): row-major C = op(A) op(B).
      const std::tuple<const char*, char, std::function<void()>, std::function<void()>> products[] = {
          {"forward", 'N', [&] { torch::mm_out(y, x, w.t()); },
           [&] { sgemm('N', 'T', s.m, s.n, s.k, 1.0f, px, s.k, pw, s.k, 0.0f, y.data_ptr<float>(), s.n); }},
          {"dx = dy W", 'N', [&] { torch::mm_out(dx, dy, w); },
           [&] { sgemm('N', 'N', s.m, s.k, s.n, 1.0f, pdy, s.n, pw, s.k, 0.0f, dx.data_ptr<float>(), s.k); }},
          {"dW = dy^T x", 'T', [&] { torch::mm_out(dw, dy.t(), x); },
           [&] { sgemm('T', 'N', s.n, s.k, s.m, 1.0f, pdy, s.n, px, s.k, 0.0f, dw.data_ptr<float>(), s.k); }},
      };
      for (const auto& [name, transa, mm, dnnl] : products) {
        if (!s.backward && std::string(name) != "forward") continue;
        const double t_mm = best_seconds(mm, repeats), t_dnnl = best_seconds(dnnl, repeats);
        const double flops = 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
        const char* runs = nmt::model::gemm_for(transa) == sgemm ? "oneDNN" : "OpenBLAS";
        std::printf("| %s | %lld x %lld x %lld | %s | %d | %.0f | %.0f | %.2f | %s |\n", s.what,
                    static_cast<long long>(s.m), static_cast<long long>(s.k), static_cast<long long>(s.n), name, threads,
                    flops / t_mm / 1e9, flops / t_dnnl / 1e9, t_mm / t_dnnl, runs);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
