#include "nmt/model/fused.h"

#include <cmath>
#include <mutex>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "model/kernels.h"

namespace nmt::model {
namespace {

// Rows per task: enough elements that a thread's share outweighs waking it.
int64_t grain(int64_t hidden) { return std::max<int64_t>(1, 16384 / hidden); }

class FusedGruGates : public torch::autograd::Function<FusedGruGates> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& gi_in,
                               const torch::Tensor& gh_in, const torch::Tensor& h_in) {
    const auto gi = gi_in.contiguous(), gh = gh_in.contiguous(), h = h_in.contiguous();
    const int64_t rows = h.size(0), hidden = h.size(1);
    auto out = torch::empty_like(h);
    auto workspace = torch::empty({rows, 4 * hidden}, h.options());
    const float* pi = gi.data_ptr<float>();
    const float* ph = gh.data_ptr<float>();
    const float* prev = h.data_ptr<float>();
    float* po = out.data_ptr<float>();
    float* pw = workspace.data_ptr<float>();
    at::parallel_for(0, rows, grain(hidden), [&](int64_t begin, int64_t end) {
      kernel::gru_gates_forward(pi + begin * 3 * hidden, ph + begin * 3 * hidden, prev + begin * hidden,
                                po + begin * hidden, pw + begin * 4 * hidden, end - begin, hidden);
    });
    ctx->save_for_backward({h, workspace});
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& h = saved[0];
    const auto& workspace = saved[1];
    const auto grad = grads[0].contiguous();
    const int64_t rows = h.size(0), hidden = h.size(1);
    auto d_gi = torch::empty({rows, 3 * hidden}, h.options());
    auto d_gh = torch::empty_like(d_gi);
    auto d_h = torch::empty_like(h);
    const float* pg = grad.data_ptr<float>();
    const float* ph = h.data_ptr<float>();
    const float* pw = workspace.data_ptr<float>();
    float* pdi = d_gi.data_ptr<float>();
    float* pdh = d_gh.data_ptr<float>();
    float* pd = d_h.data_ptr<float>();
    at::parallel_for(0, rows, grain(hidden), [&](int64_t begin, int64_t end) {
      kernel::gru_gates_backward(pg + begin * hidden, ph + begin * hidden, pw + begin * 4 * hidden,
                                 pdi + begin * 3 * hidden, pdh + begin * 3 * hidden, pd + begin * hidden,
                                 end - begin, hidden);
    });
    return {d_gi, d_gh, d_h};
  }
};

}  // namespace

torch::Tensor gru_gates_reference(const torch::Tensor& gi, const torch::Tensor& gh, const torch::Tensor& h) {
  const auto i = gi.chunk(3, 1), g = gh.chunk(3, 1);
  const auto r = torch::sigmoid(i[0] + g[0]);
  const auto z = torch::sigmoid(i[1] + g[1]);
  const auto n = torch::tanh(i[2] + r * g[2]);
  return n + z * (h - n);
}

torch::Tensor gru_gates(const torch::Tensor& gi, const torch::Tensor& gh, const torch::Tensor& h) {
  TORCH_CHECK(h.dim() == 2 && gi.dim() == 2 && gh.dim() == 2 && gi.size(0) == h.size(0) &&
                  gi.size(1) == 3 * h.size(1) && gh.sizes() == gi.sizes(),
              "gru_gates: need gi, gh [B, 3H] and h [B, H]");
  if (h.is_cuda()) return std::get<0>(at::_thnn_fused_gru_cell(gi, gh, h));
  const bool fp32 = h.scalar_type() == torch::kFloat && gi.scalar_type() == torch::kFloat &&
                    gh.scalar_type() == torch::kFloat;
  if (h.is_cpu() && fp32) return FusedGruGates::apply(gi, gh, h);
  return gru_gates_reference(gi, gh, h);
}

torch::Tensor dropout(const torch::Tensor& x, double p, bool train) {
  if (!train || p <= 0) return x;
  if (!x.is_cpu() || x.scalar_type() != torch::kFloat || p >= 1) return torch::dropout(x, p, train);
  uint64_t seed = 0;
  {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    seed = at::check_generator<at::CPUGeneratorImpl>(generator)->random64();
  }
  const auto threshold = static_cast<uint32_t>(std::min(4294967295.0, std::round(p * 4294967296.0)));
  const auto scale = static_cast<float>(1.0 / (1.0 - p));
  auto mask = torch::empty(x.sizes(), x.options().requires_grad(false));
  float* m = mask.data_ptr<float>();
  at::parallel_for(0, mask.numel(), 32768, [&](int64_t begin, int64_t end) {
    kernel::dropout_mask(m + begin, begin, end, seed, threshold, scale);
  });
  return x * mask;
}

}  // namespace nmt::model
