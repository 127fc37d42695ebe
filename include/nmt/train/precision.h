// training.precision: autocast around the forward passes (bf16, fp16) and, for
// fp16, dynamic loss scaling. Parameters, gradients and optimizer state stay
// fp32 throughout, so checkpoints are the same in every precision.
#pragma once

#include <cstdint>

#include <torch/types.h>

#include "nmt/common/config.h"

namespace nmt::train {

/// The dtype the precision's matrix products run in (autocast's, for bf16 and fp16).
torch::ScalarType compute_dtype(Precision precision);

class MixedPrecision {
 public:
  /// fp16 on anything but a CUDA device is a ConfigError.
  MixedPrecision(Precision precision, torch::Device device);

  /// While it lives, the forward passes run in the precision's autocast (none for fp32).
  class Scope {
   public:
    explicit Scope(const MixedPrecision& mp);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    torch::DeviceType device_;
    bool active_;
    bool was_enabled_ = false;
    at::ScalarType old_dtype_ = at::kFloat;
  };

  Precision precision() const { return precision_; }
  torch::Device device() const { return device_; }

  // Dynamic loss scaling (fp16 only; 1 otherwise): losses are multiplied by
  // scale() before backward, and gradients divided by it after. An overflow
  // halves the scale and skips the update; kGrowthInterval updates without one
  // double it.
  static constexpr double kInitialScale = 65536;
  static constexpr int64_t kGrowthInterval = 2000;
  double scale() const { return scale_; }
  /// After an update's gradients are unscaled: `finite` says whether they are.
  /// Returns true when the update must be skipped for an overflow.
  bool update_scale(bool finite);

 private:
  Precision precision_;
  torch::Device device_;
  double scale_ = 1;
  int64_t good_steps_ = 0;
};

}  // namespace nmt::train
