// Adadelta (Zeiler 2012), the optimizer of Bahdanau et al. 2014, which the
// LibTorch C++ API lacks. The update is torch.optim.Adadelta's:
//   E[g^2]  = rho E[g^2] + (1 - rho) g^2
//   dx      = sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) * g
//   E[dx^2] = rho E[dx^2] + (1 - rho) dx^2
//   x      -= lr * dx
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/optim/serialize.h>
#include <torch/serialize/archive.h>

#include "nmt/common/config.h"

namespace nmt::train {

/// Defaults are the paper's (lr 1.0) and the config's training.adadelta_rho
/// (0.95) and training.adadelta_eps (1e-6), declared there.
struct AdadeltaOptions : public torch::optim::OptimizerCloneableOptions<AdadeltaOptions> {
  AdadeltaOptions(double lr = 1.0) : lr_(lr) {}  // NOLINT: implicit, as LibTorch's options
  TORCH_ARG(double, lr) = 1.0;
  TORCH_ARG(double, rho) = TrainingConfig{}.adadelta_rho;
  TORCH_ARG(double, eps) = TrainingConfig{}.adadelta_eps;

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
  double get_lr() const override { return lr(); }
  void set_lr(const double lr) override { this->lr(lr); }
};

struct AdadeltaParamState : public torch::optim::OptimizerCloneableParamState<AdadeltaParamState> {
  TORCH_ARG(torch::Tensor, square_avg);  // E[g^2]
  TORCH_ARG(torch::Tensor, acc_delta);   // E[dx^2]

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
};

class Adadelta : public torch::optim::Optimizer {
 public:
  Adadelta(const std::vector<torch::Tensor>& params, AdadeltaOptions defaults);

  torch::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
};

}  // namespace nmt::train
