#include "nmt/train/early_stopping.h"

namespace nmt::train {

bool ImprovementTracker::observe(double value, bool higher_is_better) {
  const bool improved =
      !state_.has_best || (higher_is_better ? value > state_.best : value < state_.best);
  if (improved) {
    state_.best = value;
    state_.has_best = true;
    state_.bad = 0;
  } else {
    ++state_.bad;
  }
  return improved;
}

}  // namespace nmt::train
