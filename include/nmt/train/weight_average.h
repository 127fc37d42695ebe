// An exponential moving average of a model's parameters (training.ema_decay),
// as Marian's --exponential-smoothing and fairseq's --store-ema keep one:
// after update t, average += (1 - d_t) * (weights - average), in fp32, with
// d_t = min(decay, (1 + t) / (10 + t)): early on, when the start is far from
// anything worth keeping, the average follows the weights closely (as
// TensorFlow's ExponentialMovingAverage with num_updates does).
// Validation and translation use the average; last.pt keeps it beside the
// weights, so a resumed run goes on with the same average.
#pragma once

#include <torch/nn/module.h>

#include "nmt/model/checkpoint.h"

namespace nmt::train {

class WeightAverage {
 public:
  /// Starts equal to `model`'s parameters; `decay` in [0, 1), where 0 tracks the weights exactly.
  WeightAverage(torch::nn::Module& model, double decay);

  /// The decay of update `step` (1 for the first): min(decay, (1 + step) / (10 + step)).
  double decay_at(int64_t step) const;

  /// Moves the average towards `model`'s current parameters after update `step`.
  void update(torch::nn::Module& model, int64_t step);

  /// Exchanges `model`'s parameters with the average; a second call undoes it exactly.
  void swap(torch::nn::Module& model);

  /// The averaged parameters by name, as checkpoints store them.
  model::NamedTensors& tensors() { return average_; }
  const model::NamedTensors& tensors() const { return average_; }

 private:
  double decay_;
  model::NamedTensors average_;
};

}  // namespace nmt::train
