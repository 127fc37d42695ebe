// torch::optim::Adam with its update in one pass over memory.
#pragma once

#include <vector>

#include <torch/optim/adam.h>

namespace nmt::train {

/// torch::optim::Adam whose step, on fp32 CPU parameters, updates each
/// parameter, its gradient's running averages and the parameter itself in one
/// parallel loop (nmt's kernels for the CPU's instruction set), where
/// LibTorch's step makes eight passes over memory per parameter and allocates
/// two temporaries. Same options, same state (exp_avg, exp_avg_sq, step) under
/// the same keys, so checkpoints are the same either way; the updates agree
/// with LibTorch's to float rounding. Elsewhere (CUDA, amsgrad, sparse or
/// non-contiguous tensors) it is LibTorch's step.
class FusedAdam : public torch::optim::Adam {
 public:
  FusedAdam(const std::vector<torch::Tensor>& params, torch::optim::AdamOptions defaults);

  torch::Tensor step(LossClosure closure = nullptr) override;
  /// Reads what any LibTorch's Adam saved (load_optimizer in state_key.h).
  void load(torch::serialize::InputArchive& archive) override;

 private:
  bool fusable() const;
};

}  // namespace nmt::train
