#include "nmt/train/step.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include <ATen/record_function.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>

#include "nmt/train/adadelta.h"
#include "nmt/train/distributed.h"
#include "nmt/train/fused_adam.h"
#include "nmt/train/precision.h"
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
                      Forward forward, const RankShare* share, MixedPrecision* precision) {
  TORCH_CHECK(!batches.empty(), "train_step: no batch");
  model.train();
  GradientBuckets* buckets = share != nullptr ? share->buckets : nullptr;
  if (buckets != nullptr) {
    buckets->zero();  // the gradients are views into the buckets: they stay
  } else {
    // Gradients start undefined, so backward hands each parameter its gradient
    // instead of adding it to zeros (LibTorch 1.13's zero_grad fills them); the
    // batches after the first add theirs.
    for (auto& group : optimizer.param_groups()) {
      for (auto& p : group.params()) p.mutable_grad().reset();
    }
  }
  int64_t tokens = 0;
  for (const auto& batch : batches) tokens += batch.tgt_tokens;
  const double all_tokens = static_cast<double>(std::max<int64_t>(share != nullptr ? share->all_tokens : tokens, 1));
  const double own_tokens = static_cast<double>(std::max<int64_t>(tokens, 1));  // r.loss is this rank's mean
  const bool counts = share == nullptr || !share->placeholder;
  const double loss_scale = precision != nullptr ? precision->scale() : 1.0;
  StepResult r;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    const auto& batch = batches[i];
    const auto src = batch.src.to(device), src_mask = batch.src_mask.to(device), tgt_in = batch.tgt_in.to(device);
    torch::Tensor logits;
    {
      std::optional<MixedPrecision::Scope> autocast;
      if (precision != nullptr) autocast.emplace(*precision);
      logits = forward == Forward::stepwise ? stepwise_logits(model, src, src_mask, tgt_in)
                                            : model.forward(src, src_mask, tgt_in);
    }
    // The loss in fp32, whatever the forward's precision.
    if (logits.scalar_type() != torch::kFloat) logits = logits.to(torch::kFloat);
    // The logits [B, T, V] die here: their gradient takes their place.
    const auto out = label_smoothed_nll(std::move(logits), batch.tgt_out.to(device), t.label_smoothing,
                                        Logits::consumed);
    // Each batch's mean loss, weighted by its share of the tokens: the mean over all of them.
    const double weight = counts ? static_cast<double>(batch.tgt_tokens) / all_tokens : 0.0;
    if (buckets != nullptr) buckets->sync_next_backward(i + 1 == batches.size());
    (out.loss * (weight * loss_scale)).backward();
    if (!counts) continue;
    r.loss += out.loss.item<double>() * static_cast<double>(batch.tgt_tokens) / own_tokens;
    r.nll += out.nll.item<double>();
    r.tokens += out.tokens;
  }
  if (buckets != nullptr) {
    RECORD_FUNCTION("nmt::allreduce_wait", std::vector<c10::IValue>());
    buckets->finish();
  }
  if (loss_scale != 1.0) {
    torch::NoGradGuard no_grad;
    for (auto& p : model.parameters()) {
      if (p.grad().defined()) p.mutable_grad().mul_(1.0 / loss_scale);
    }
  }
  {
    RECORD_FUNCTION("nmt::clip", std::vector<c10::IValue>());
    r.grad_norm = t.clip_norm > 0 ? torch::nn::utils::clip_grad_norm_(model.parameters(), t.clip_norm)
                                   : gradient_norm(model.parameters());
  }
  // Ranks agree on the summed gradients' norm, not on their own losses.
  r.applied = std::isfinite(r.grad_norm) && (share != nullptr || std::isfinite(r.loss));
  if (precision != nullptr && precision->update_scale(r.applied)) {
    r.applied = false;
    r.overflow = true;
  }
  if (r.applied) {
    RECORD_FUNCTION("nmt::optimizer", std::vector<c10::IValue>());
    optimizer.step();
  }
  return r;
}

}  // namespace nmt::train
