// Learning-rate schedules: constant; inverse_sqrt (linear warmup, then
// lr * sqrt(warmup / step), as in Vaswani et al. 2017); plateau (multiply by
// plateau_factor after plateau_patience validations without improvement).
#pragma once

#include <cstdint>

#include "nmt/common/config.h"
#include "nmt/train/early_stopping.h"

namespace nmt::train {

class LrSchedule {
 public:
  /// What a checkpoint keeps of the schedule.
  struct State {
    double scale = 1.0;  ///< plateau's accumulated decay
    ImprovementTracker::State patience;
  };

  explicit LrSchedule(const TrainingConfig& config);

  /// Learning rate of update `step` (1-based).
  double lr(int64_t step) const;
  /// Reports a validation metric; `higher_is_better` for BLEU/chrF, not for loss.
  /// Returns true when it improved on the best so far.
  bool on_validation(double metric, bool higher_is_better);

  State state() const { return {scale_, tracker_.state()}; }
  void restore(const State& s) {
    scale_ = s.scale;
    tracker_.restore(s.patience);
  }

 private:
  TrainingConfig config_;
  double scale_ = 1.0;
  ImprovementTracker tracker_;
};

}  // namespace nmt::train
