#include "nmt/train/weight_average.h"

#include <algorithm>

#include <torch/torch.h>

namespace nmt::train {

WeightAverage::WeightAverage(torch::nn::Module& model, double decay) : decay_(decay) {
  for (const auto& p : model.named_parameters()) {
    average_.insert(p.key(), p.value().detach().to(torch::kFloat32).clone());
  }
}

double WeightAverage::decay_at(int64_t step) const {
  return std::min(decay_, (1.0 + static_cast<double>(step)) / (10.0 + static_cast<double>(step)));
}

void WeightAverage::update(torch::nn::Module& model, int64_t step) {
  torch::NoGradGuard no_grad;
  const double decay = decay_at(step);
  for (const auto& p : model.named_parameters()) {
    auto& avg = average_[p.key()];
    const auto w = p.value().detach().to(torch::kFloat32);
    if (decay == 0) {
      avg.copy_(w);
    } else {
      avg.add_(w - avg, 1.0 - decay);  // exact when the weights equal the average
    }
  }
}

void WeightAverage::swap(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  for (auto& p : model.named_parameters()) {
    auto& avg = average_[p.key()];
    const auto weights = p.value().detach().clone();
    p.value().copy_(avg);
    avg.copy_(weights);
  }
}

}  // namespace nmt::train
