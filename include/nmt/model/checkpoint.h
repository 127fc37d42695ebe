// Checkpoints: model weights, optimizer state and a JSON record (step, data
// position, schedule, ...), in one file written atomically (temp file, fsync, rename).
#pragma once

#include <memory>
#include <string>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

namespace nmt::model {

/// Writes `model`, `optimizer` (may be null) and `meta` (JSON text) to `path`.
void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     const std::string& meta);

/// Restores what save_checkpoint wrote and returns the JSON record. A missing,
/// truncated or corrupt file, or one made for other model sizes, is a
/// CheckpointError naming the file.
std::string load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer);

}  // namespace nmt::model
