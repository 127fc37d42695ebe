// `nmt train`: teacher-forced training with validation, checkpoints, early
// stopping, resume and clean interruption. Everything is kept in model_dir:
//   config.json, spm.model, checkpoints/{step-N,best,last}.pt, metrics.jsonl, train.log
#pragma once

#include <cstdint>
#include <string>

#include "nmt/common/config.h"
#include "nmt/train/distributed.h"

namespace nmt::train {

struct TrainOptions {
  bool resume = false;         ///< continue from checkpoints/last.pt
  std::string device = "auto"; ///< cpu, cuda, cuda:N or auto
  bool live_progress = false;  ///< redraw one progress line (for a terminal) instead of log lines
  int threads = 1;             ///< as set by the caller; recorded in the log
  RankInfo ranks;              ///< data-parallel: this process's rank among world_size
};

struct TrainSummary {
  int64_t steps = 0;
  int64_t epoch = 1;
  std::string stop_reason;  ///< max_steps, max_epochs, early_stopping or interrupted
  double best_metric = 0;   ///< of training.early_stopping.metric; NaN without validation
};

/// Runs training as configured. A model_dir that already holds a run is an
/// error unless options.resume is set. SIGINT, SIGTERM or nmt::request_stop()
/// (common/signals.h) saves last.pt after the current update and returns.
///
/// With options.ranks.distributed() this process is one rank of a
/// data-parallel run: every rank reads a disjoint share of each update's
/// batches (batch i of the update goes to rank i mod world_size, in the order
/// the seed and the epoch fix), the gradients are summed over the ranks, and
/// rank 0 alone prepares the data, validates, logs and writes model_dir. A stop
/// signal or max_time on any rank stops them all at the same update; a rank
/// that goes away makes the others stop with a SystemError naming it.
TrainSummary train(const Config& config, const TrainOptions& options);

}  // namespace nmt::train
