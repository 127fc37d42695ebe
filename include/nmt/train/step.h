// One teacher-forced update, shared by `nmt train` and `nmt bench train`.
#pragma once

#include <memory>
#include <vector>

#include <torch/optim/optimizer.h>

#include "nmt/common/config.h"
#include "nmt/data/batcher.h"
#include "nmt/model/seq2seq.h"

namespace nmt::train {

/// Adam (betas, eps from the config) or Adadelta over `params`.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainingConfig& t,
                                                        const std::vector<torch::Tensor>& params);

/// Sets the learning rate of every parameter group.
void set_lr(torch::optim::Optimizer& optimizer, double lr);

struct StepResult {
  double loss = 0;       ///< mean label-smoothed loss per real target token
  double nll = 0;        ///< summed plain negative log-likelihood
  int64_t tokens = 0;    ///< real target tokens
  double grad_norm = 0;  ///< of all gradients, before clipping
  /// False when the loss or the gradient norm was NaN or infinite: then the
  /// optimizer did not step, and the weights and its state are as they were.
  bool applied = true;
};

/// How the teacher-forced forward pass runs the decoder.
enum class Forward {
  whole_sequence,  ///< Seq2Seq::forward: every step's matrix products that the recurrence allows at once
  stepwise,        ///< one Seq2Seq::step per target position, as search runs it (`nmt bench train --stepwise`)
};

/// zero_grad, forward in train mode, label-smoothed loss, backward, clipping and
/// the optimizer step, with the batch moved to `device`. A non-finite loss or
/// gradient skips the optimizer step (StepResult::applied).
StepResult train_step(model::Seq2Seq& model, torch::optim::Optimizer& optimizer, const data::Batch& batch,
                      const TrainingConfig& t, torch::Device device, Forward forward = Forward::whole_sequence);

}  // namespace nmt::train
