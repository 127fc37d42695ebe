#include "nmt/train/fused_adam.h"

#include <cmath>

#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/torch.h>

#include "model/kernels.h"
#include "nmt/common/isa.h"
#include "nmt/train/state_key.h"

namespace nmt::train {
namespace {

bool fp32_cpu_dense(const torch::Tensor& t) {
  return t.is_cpu() && t.layout() == torch::kStrided && t.scalar_type() == torch::kFloat && t.is_contiguous();
}

}  // namespace

FusedAdam::FusedAdam(const std::vector<torch::Tensor>& params, torch::optim::AdamOptions defaults)
    : Adam(params, std::move(defaults)) {}

bool FusedAdam::fusable() const {
  for (const auto& group : param_groups_) {
    if (static_cast<const torch::optim::AdamOptions&>(group.options()).amsgrad()) return false;
    for (const auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      if (!fp32_cpu_dense(p) || !fp32_cpu_dense(p.grad())) return false;
      const auto state = state_.find(state_key(p));
      if (state == state_.end()) continue;
      const auto& s = static_cast<const torch::optim::AdamParamState&>(*state->second);
      if (!fp32_cpu_dense(s.exp_avg()) || !fp32_cpu_dense(s.exp_avg_sq())) return false;
    }
  }
  return true;
}

torch::Tensor FusedAdam::step(LossClosure closure) {
  if (!fusable()) return Adam::step(std::move(closure));
  RECORD_FUNCTION("nmt::adam", std::vector<c10::IValue>());
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  const auto& k = model::kernel::kernels(kernel_isa());
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const torch::optim::AdamOptions&>(group.options());
    const auto [beta1, beta2] = o.betas();
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      auto& slot = state_[state_key(p)];
      if (!slot) {  // as LibTorch's Adam creates it
        auto s = std::make_unique<torch::optim::AdamParamState>();
        s->step(0);
        s->exp_avg(torch::zeros_like(p, at::MemoryFormat::Preserve));
        s->exp_avg_sq(torch::zeros_like(p, at::MemoryFormat::Preserve));
        slot = std::move(s);
      }
      auto& s = static_cast<torch::optim::AdamParamState&>(*slot);
      s.step(s.step() + 1);
      const double correction1 = 1 - std::pow(beta1, static_cast<double>(s.step()));
      const double correction2 = 1 - std::pow(beta2, static_cast<double>(s.step()));
      const model::kernel::AdamStep step{static_cast<float>(beta1),
                                         static_cast<float>(1 - beta1),
                                         static_cast<float>(beta2),
                                         static_cast<float>(1 - beta2),
                                         static_cast<float>(-o.lr() / correction1),
                                         static_cast<float>(std::sqrt(correction2)),
                                         static_cast<float>(o.eps()),
                                         static_cast<float>(o.weight_decay())};
      float* param = p.data_ptr<float>();
      const float* grad = p.grad().data_ptr<float>();
      float* m = s.exp_avg().data_ptr<float>();
      float* v = s.exp_avg_sq().data_ptr<float>();
      at::parallel_for(0, p.numel(), 32768, [&](int64_t begin, int64_t end) {
        k.adam(param + begin, grad + begin, m + begin, v + begin, end - begin, step);
      });
    }
  }
  return loss;
}

void FusedAdam::load(torch::serialize::InputArchive& archive) {
  load_optimizer<torch::optim::AdamParamState, torch::optim::AdamOptions>(archive, *this);
}

}  // namespace nmt::train
