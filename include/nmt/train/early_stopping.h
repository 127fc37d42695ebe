// Patience on a validation metric: the best value so far and the validations
// since it improved. Early stopping and the plateau schedule both track it.
#pragma once

#include <cstdint>

#include "nmt/common/config.h"

namespace nmt::train {

/// BLEU and chrF improve upwards, a loss downwards.
inline bool higher_is_better(Metric metric) { return metric != Metric::loss; }

class ImprovementTracker {
 public:
  /// What a checkpoint keeps.
  struct State {
    double best = 0.0;  ///< best value so far
    bool has_best = false;
    int64_t bad = 0;    ///< validations since the last improvement
  };

  /// Records a validation; true when it beats the best so far (the first always does).
  bool observe(double value, bool higher_is_better);
  /// Validations since the last improvement.
  int64_t since_best() const { return state_.bad; }
  /// Starts counting again, as the plateau schedule does after a decay.
  void restart_count() { state_.bad = 0; }

  const State& state() const { return state_; }
  void restore(const State& s) { state_ = s; }

 private:
  State state_;
};

/// Stops training after training.early_stopping.patience validations without
/// improvement of its metric (0: never).
class EarlyStopping {
 public:
  explicit EarlyStopping(const EarlyStoppingConfig& config) : config_(config) {}

  /// Records a validation's value of the metric; true when it is a new best.
  bool observe(double value) { return tracker_.observe(value, higher_is_better(config_.metric)); }
  bool should_stop() const { return config_.patience > 0 && tracker_.since_best() >= config_.patience; }

  Metric metric() const { return config_.metric; }
  const ImprovementTracker& tracker() const { return tracker_; }
  ImprovementTracker& tracker() { return tracker_; }

 private:
  EarlyStoppingConfig config_;
  ImprovementTracker tracker_;
};

}  // namespace nmt::train
