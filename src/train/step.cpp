#include "nmt/train/step.h"

#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>

#include "nmt/train/adadelta.h"
#include "nmt/train/loss.h"

namespace nmt::train {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainingConfig& t,
                                                        const std::vector<torch::Tensor>& params) {
  if (t.optimizer == "adadelta") {
    return std::make_unique<Adadelta>(params, AdadeltaOptions(t.lr).rho(t.adadelta_rho).eps(t.adadelta_eps));
  }
  return std::make_unique<torch::optim::Adam>(
      params, torch::optim::AdamOptions(t.lr).betas({t.adam_beta1, t.adam_beta2}).eps(t.adam_eps));
}

void set_lr(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

StepResult train_step(model::Seq2Seq& model, torch::optim::Optimizer& optimizer, const data::Batch& batch,
                      const TrainingConfig& t, torch::Device device) {
  model.train();
  optimizer.zero_grad();
  // The logits [B, T, V] die with this statement: the loss keeps only what its backward needs.
  const auto out = label_smoothed_nll(
      model.forward(batch.src.to(device), batch.src_mask.to(device), batch.tgt_in.to(device)),
      batch.tgt_out.to(device), t.label_smoothing);
  out.loss.backward();
  StepResult r;
  if (t.clip_norm > 0) r.grad_norm = torch::nn::utils::clip_grad_norm_(model.parameters(), t.clip_norm);
  optimizer.step();
  r.loss = out.loss.item<double>();
  r.nll = out.nll.item<double>();
  r.tokens = out.tokens;
  return r;
}

}  // namespace nmt::train
