// The record a checkpoint carries beside the weights (Trainer::record writes
// it): where training stood, enough for --resume to go on exactly. Read back
// here, every field checked, so that a damaged record is an error naming the
// field rather than a crash or a silently wrong resume.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nmt/data/batcher.h"
#include "nmt/train/early_stopping.h"
#include "nmt/train/lr_schedule.h"

namespace nmt::train {

struct ResumeRecord {
  int64_t step = 0;
  data::DataPosition position;
  LrSchedule::State schedule;
  ImprovementTracker::State early_stopping;
  double elapsed_s = 0;
  nlohmann::json rng;  // for restore_rng, which checks its hex strings
  int64_t world_size = 1;  // data-parallel ranks of the run (absent in single-process records)
  std::vector<nlohmann::json> rank_rng;  // ranks 1 to world_size - 1: their own random states
};

/// {"best", "has_best", "bad"}: what ImprovementTracker::State holds.
nlohmann::json tracker_json(const ImprovementTracker::State& s);

/// Parses and checks a record; std::invalid_argument naming the first field
/// that is missing, of the wrong type or out of range.
ResumeRecord parse_resume_record(const std::string& text);

}  // namespace nmt::train
