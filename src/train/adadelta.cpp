#include "nmt/train/adadelta.h"

#include <torch/torch.h>

#include "nmt/train/state_key.h"

namespace nmt::train {

void AdadeltaOptions::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(rho);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(eps);
}

void AdadeltaOptions::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, rho);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, eps);
}

void AdadeltaParamState::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(square_avg);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(acc_delta);
}

void AdadeltaParamState::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, square_avg);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, acc_delta);
}

Adadelta::Adadelta(const std::vector<torch::Tensor>& params, AdadeltaOptions defaults)
    : Optimizer({torch::optim::OptimizerParamGroup(params)}, std::make_unique<AdadeltaOptions>(defaults)) {
  TORCH_CHECK(defaults.lr() >= 0 && defaults.rho() >= 0 && defaults.rho() <= 1 && defaults.eps() >= 0,
              "Adadelta: invalid options");
}

torch::Tensor Adadelta::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const AdadeltaOptions&>(group.options());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      const auto& grad = p.grad();
      const auto key = state_key(p);
      if (state_.find(key) == state_.end()) {
        auto s = std::make_unique<AdadeltaParamState>();
        s->square_avg(torch::zeros_like(p, at::MemoryFormat::Preserve));
        s->acc_delta(torch::zeros_like(p, at::MemoryFormat::Preserve));
        state_[key] = std::move(s);
      }
      auto& s = static_cast<AdadeltaParamState&>(*state_[key]);
      auto square_avg = s.square_avg();
      auto acc_delta = s.acc_delta();
      square_avg.mul_(o.rho()).addcmul_(grad, grad, 1 - o.rho());
      const auto delta = acc_delta.add(o.eps()).sqrt_().div_(square_avg.add(o.eps()).sqrt_()).mul_(grad);
      acc_delta.mul_(o.rho()).addcmul_(delta, delta, 1 - o.rho());
      p.add_(delta, -o.lr());
    }
  }
  return loss;
}

void Adadelta::save(torch::serialize::OutputArchive& archive) const {
  torch::optim::serialize<AdadeltaParamState, AdadeltaOptions>(archive, *this);
}

void Adadelta::load(torch::serialize::InputArchive& archive) { load_optimizer<AdadeltaParamState, AdadeltaOptions>(archive, *this); }

}  // namespace nmt::train
