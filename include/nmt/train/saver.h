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

  const std::string& dir() const { return dir_; }
  std::string last() const { return dir_ + "/last.pt"; }

 private:
  std::string dir_;
  int64_t keep_;
};

/// Deletes all but the `keep` highest-numbered step-N.pt files in `dir`.
void prune_checkpoints(const std::string& dir, int64_t keep);

}  // namespace nmt::train
