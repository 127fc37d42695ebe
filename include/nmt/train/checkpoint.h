// Checkpoints: model weights, optimizer state and a JSON record (step, data
// position, schedule, ...), in one file written atomically (temp file, fsync, rename).
#pragma once

#include <memory>
#include <string>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include "nmt/common/config.h"
#include "nmt/data/vocab.h"
#include "nmt/model/seq2seq.h"

namespace nmt::train {

/// Writes `model`, `optimizer` (may be null) and `meta` (JSON text) to `path`.
void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     const std::string& meta);

/// Restores what save_checkpoint wrote and returns the JSON record. A missing,
/// truncated or corrupt file, or one made for other model sizes, is a
/// CheckpointError naming the file.
std::string load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer);

/// Deletes all but the `keep` highest-numbered step-N.pt files in `dir`.
void prune_checkpoints(const std::string& dir, int64_t keep);

/// A trained model, ready to translate.
struct LoadedModel {
  Config config;  ///< the run's resolved config (model_dir/config.json)
  data::Vocabs vocabs;
  std::shared_ptr<model::Seq2Seq> model;  ///< on the requested device, in eval mode
  std::string checkpoint;                 ///< the file the weights came from
};

/// Loads `model_dir` with the weights of `which`: "best", "last", or a path.
/// A missing directory, config, vocabulary or checkpoint is an error naming the file.
LoadedModel load_model(const std::string& model_dir, const std::string& which, torch::Device device);

}  // namespace nmt::train
