// Learning-rate schedules: constant; inverse_sqrt (linear warmup, then
// lr * sqrt(warmup / step), as in Vaswani et al. 2017); plateau (multiply by
// plateau_factor after plateau_patience validations without improvement).
#pragma once

#include <cstdint>

#include "nmt/common/config.h"

namespace nmt::train {

class LrSchedule {
 public:
  /// What a checkpoint keeps of the schedule.
  struct State {
    double scale = 1.0;  ///< plateau's accumulated decay
    double best = 0.0;   ///< best validation metric so far
    bool has_best = false;
    int64_t bad = 0;     ///< validations since the last improvement
  };

  explicit LrSchedule(const TrainingConfig& config);

  /// Learning rate of update `step` (1-based).
  double lr(int64_t step) const;
  /// Reports a validation metric; `higher_is_better` for BLEU/chrF, not for loss.
  /// Returns true when it improved on the best so far.
  bool on_validation(double metric, bool higher_is_better);

  const State& state() const { return state_; }
  void restore(const State& s) { state_ = s; }

 private:
  TrainingConfig config_;
  State state_;
};

}  // namespace nmt::train
