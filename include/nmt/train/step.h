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
  /// fp16: not applied because the scaled gradients overflowed; the loss scale
  /// was halved (MixedPrecision::update_scale), and this is no sign of divergence.
  bool overflow = false;
};

/// How the teacher-forced forward pass runs the decoder.
enum class Forward {
  whole_sequence,  ///< Seq2Seq::forward: every step's matrix products that the recurrence allows at once
  stepwise,        ///< one Seq2Seq::step per target position, as search runs it (`nmt bench train --stepwise`)
};

class GradientBuckets;
class MixedPrecision;

/// A data-parallel rank's part in an update (train/distributed.h).
struct RankShare {
  GradientBuckets* buckets = nullptr;  ///< sums the gradients over the ranks
  int64_t all_tokens = 0;              ///< target tokens of the update's batches on every rank together
  /// The epoch ran out before this rank had a batch of its own: it runs one of
  /// another rank's (so that every rank joins the sums) with weight 0.
  bool placeholder = false;
};

/// One update from `batches` (training.update_freq of them; at least one):
/// the gradients cleared, then for each batch a forward pass in train mode, its
/// label-smoothed loss weighted by its share of all the batches' target tokens
/// and backward, so that the summed gradient is that of one batch holding them
/// all; then clipping and the optimizer step. Batches move to `device` one at a
/// time. A non-finite loss or gradient skips the optimizer step (StepResult::applied).
/// With `share`, each batch is weighted by its share of all the ranks' tokens and
/// the gradients are summed over the ranks, so every rank makes the update of
/// one batch holding all of them; the result's loss, nll and tokens are this rank's.
/// With `precision`, the forward passes run in its autocast and, for fp16, the
/// losses are scaled before backward and the gradients unscaled after.
StepResult train_step(model::Seq2Seq& model, torch::optim::Optimizer& optimizer,
                      const std::vector<data::Batch>& batches, const TrainingConfig& t, torch::Device device,
                      Forward forward = Forward::whole_sequence, const RankShare* share = nullptr,
                      MixedPrecision* precision = nullptr);

}  // namespace nmt::train
