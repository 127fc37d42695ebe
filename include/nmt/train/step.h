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
  double loss = 0;       ///< mean label-smoothed loss per real target token of all the batches
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

/// One update from `batches` (training.update_freq of them; at least one):
/// the gradients cleared, then for each batch a forward pass in train mode, its
/// label-smoothed loss weighted by its share of all the batches' target tokens
/// and backward, so that the summed gradient is that of one batch holding them
/// all; then clipping and the optimizer step. Batches move to `device` one at a
/// time. A non-finite loss or gradient skips the optimizer step (StepResult::applied).
StepResult train_step(model::Seq2Seq& model, torch::optim::Optimizer& optimizer,
                      const std::vector<data::Batch>& batches, const TrainingConfig& t, torch::Device device,
                      Forward forward = Forward::whole_sequence);

}  // namespace nmt::train
