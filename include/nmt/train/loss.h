// Label-smoothed cross-entropy over non-pad target tokens.
#pragma once

#include <torch/types.h>

namespace nmt::train {

struct LossOutput {
  torch::Tensor loss;  // scalar: mean smoothed loss per real token (what is optimised)
  torch::Tensor nll;   // scalar: summed plain negative log-likelihood (for perplexity)
  int64_t tokens = 0;  // real target tokens
};

/// How the loss may treat the logits once it has them.
enum class Logits {
  kept,      ///< the caller may read them after backward
  consumed,  ///< backward may overwrite them with their gradient (a training step, which lets them go)
};

/// logits [B, T, V], targets [B, T] with pad = 0. Epsilon is spread over all V
/// classes (the target included), as torch's cross_entropy(label_smoothing) does.
LossOutput label_smoothed_nll(const torch::Tensor& logits, const torch::Tensor& targets, double epsilon,
                              Logits logits_use = Logits::kept);

}  // namespace nmt::train
