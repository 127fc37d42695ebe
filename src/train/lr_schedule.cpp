#include "nmt/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace nmt::train {

LrSchedule::LrSchedule(const TrainingConfig& config) : config_(config) {}

double LrSchedule::lr(int64_t step) const {
  double lr = config_.lr;
  switch (config_.schedule) {
    case Schedule::constant:
      break;
    case Schedule::inverse_sqrt: {
      const double warmup = static_cast<double>(std::max<int64_t>(1, config_.warmup));
      const double s = static_cast<double>(std::max<int64_t>(1, step));
      lr *= std::min(s / warmup, std::sqrt(warmup / s));
      break;
    }
    case Schedule::plateau:
      lr *= scale_;
      break;
  }
  return std::max(lr, config_.min_lr);
}

bool LrSchedule::on_validation(double metric, bool higher_is_better) {
  if (tracker_.observe(metric, higher_is_better)) return true;
  if (config_.schedule == Schedule::plateau && tracker_.since_best() > config_.plateau_patience) {
    scale_ *= config_.plateau_factor;
    tracker_.restart_count();
  }
  return false;
}

}  // namespace nmt::train
