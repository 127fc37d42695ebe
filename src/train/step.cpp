#include "nmt/train/step.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/record_function.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>

#include "nmt/train/adadelta.h"
#include "nmt/train/fused_adam.h"
#include "nmt/train/loss.h"

namespace nmt::train {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainingConfig& t,
                                                        const std::vector<torch::Tensor>& params) {
  switch (t.optimizer) {
    case OptimizerType::adadelta:
      return std::make_unique<Adadelta>(params, AdadeltaOptions(t.lr).rho(t.adadelta_rho).eps(t.adadelta_eps));
    case OptimizerType::adam:
      break;
  }
  return std::make_unique<FusedAdam>(
      params, torch::optim::AdamOptions(t.lr).betas({t.adam_beta1, t.adam_beta2}).eps(t.adam_eps));
}

void set_lr(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

namespace {

// Logits [B, T, V] from the decoder run one position at a time.
torch::Tensor stepwise_logits(model::Seq2Seq& model, const torch::Tensor& src, const torch::Tensor& src_mask,
                              const torch::Tensor& tgt_in) {
  auto state = model.init_state(model.encode(src, src_mask));
  std::vector<torch::Tensor> logits;
  for (int64_t i = 0; i < tgt_in.size(1); ++i) logits.push_back(model.step(tgt_in.select(1, i), state).logits);
  return torch::stack(logits, 1);
}

// The 2-norm of all gradients together, as clip_grad_norm_ measures it.
double gradient_norm(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> norms;
  for (const auto& p : params) {
    if (p.grad().defined()) norms.push_back(p.grad().norm());
  }
  return norms.empty() ? 0.0 : torch::stack(norms).norm().item<double>();
}

}  // namespace

StepResult train_step(model::Seq2Seq& model, torch::optim::Optimizer& optimizer,
                      const std::vector<data::Batch>& batches, const TrainingConfig& t, torch::Device device,
                      Forward forward) {
  TORCH_CHECK(!batches.empty(), "train_step: no batch");
  model.train();
  // Gradients start undefined, so backward hands each parameter its gradient
  // instead of adding it to zeros (LibTorch 1.13's zero_grad fills them); the
  // batches after the first add theirs.
  for (auto& group : optimizer.param_groups()) {
    for (auto& p : group.params()) p.mutable_grad().reset();
  }
  int64_t tokens = 0;
  for (const auto& batch : batches) tokens += batch.tgt_tokens;
  const double all_tokens = static_cast<double>(std::max<int64_t>(tokens, 1));
  StepResult r;
  for (const auto& batch : batches) {
    const auto src = batch.src.to(device), src_mask = batch.src_mask.to(device), tgt_in = batch.tgt_in.to(device);
    // The logits [B, T, V] die with this statement: their gradient takes their place.
    const auto out = label_smoothed_nll(forward == Forward::stepwise ? stepwise_logits(model, src, src_mask, tgt_in)
                                                                      : model.forward(src, src_mask, tgt_in),
                                        batch.tgt_out.to(device), t.label_smoothing, Logits::consumed);
    // Each batch's mean loss, weighted by its share of the tokens: the mean over all of them.
    const double share = static_cast<double>(batch.tgt_tokens) / all_tokens;
    (out.loss * share).backward();
    r.loss += out.loss.item<double>() * share;
    r.nll += out.nll.item<double>();
    r.tokens += out.tokens;
  }
  {
    RECORD_FUNCTION("nmt::clip", std::vector<c10::IValue>());
    r.grad_norm = t.clip_norm > 0 ? torch::nn::utils::clip_grad_norm_(model.parameters(), t.clip_norm)
                                   : gradient_norm(model.parameters());
  }
  r.applied = std::isfinite(r.loss) && std::isfinite(r.grad_norm);
  if (r.applied) {
    RECORD_FUNCTION("nmt::optimizer", std::vector<c10::IValue>());
    optimizer.step();
  }
  return r;
}

}  // namespace nmt::train
