// The checkpoints of a training run, in model_dir/checkpoints:
//   step-N.pt  at every validation; the newest training.keep_checkpoints are kept
//   last.pt    the newest, with the optimizer: what --resume continues
//   best.pt    the weights with the best dev metric, without the optimizer: what translate loads
#pragma once

#include <cstdint>
#include <string>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include "nmt/model/checkpoint.h"

namespace nmt::train {

class CheckpointSaver {
 public:
  CheckpointSaver(std::string dir, int64_t keep_numbered);

  /// Writes last.pt (with `optimizer`), creating the directory when it is missing; with `numbered`, as step-N.pt that
  /// last.pt links to; with `best`, best.pt too. `record` is the JSON record; `average`, when not null, the
  /// averaged weights, which every one of them keeps.
  void save(int64_t step, torch::nn::Module& model, torch::optim::Optimizer& optimizer, const std::string& record,
            bool numbered, bool best, const model::NamedTensors* average = nullptr);

  /// With keep_best > 0 (training.keep_best): writes best-STEP.pt (without the
  /// optimizer) when `score` ranks among the keep_best best so far, deletes the
  /// one it displaces, and ranks them in best.json, best first.
  void keep_if_among_best(int64_t step, double score, bool higher_is_better, int64_t keep_best,
                          torch::nn::Module& model, const std::string& record, const model::NamedTensors* average);

  const std::string& dir() const { return dir_; }
  std::string last() const { return dir_ + "/last.pt"; }

 private:
  std::string dir_;
  int64_t keep_;
};

/// Deletes all but the `keep` highest-numbered step-N.pt files in `dir`.
void prune_checkpoints(const std::string& dir, int64_t keep);

}  // namespace nmt::train
