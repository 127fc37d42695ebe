#include "nmt/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace nmt::train {

LrSchedule::LrSchedule(const TrainingConfig& config) : config_(config) {}

double LrSchedule::lr(int64_t step) const {
  double lr = config_.lr;
  if (config_.schedule == "inverse_sqrt") {
    const double warmup = static_cast<double>(std::max<int64_t>(1, config_.warmup));
    const double s = static_cast<double>(std::max<int64_t>(1, step));
    lr *= std::min(s / warmup, std::sqrt(warmup / s));
  } else if (config_.schedule == "plateau") {
    lr *= state_.scale;
  }
  return std::max(lr, config_.min_lr);
}

bool LrSchedule::on_validation(double metric, bool higher_is_better) {
  const bool improved = !state_.has_best || (higher_is_better ? metric > state_.best : metric < state_.best);
  if (improved) {
    state_.best = metric;
    state_.has_best = true;
    state_.bad = 0;
    return true;
  }
  if (++state_.bad > config_.plateau_patience && config_.schedule == "plateau") {
    state_.scale *= config_.plateau_factor;
    state_.bad = 0;
  }
  return false;
}

}  // namespace nmt::train
