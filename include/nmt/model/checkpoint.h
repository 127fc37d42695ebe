// Checkpoints: model weights, optimizer state and a JSON record (step, data
// position, schedule, ...), in one file written atomically (temp file, fsync, rename).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

namespace nmt::model {

/// Parameters by name, as Module::named_parameters() gives them.
using NamedTensors = torch::OrderedDict<std::string, torch::Tensor>;

/// Writes `model`, `optimizer` (may be null), `average` (the averaged
/// parameters, train/weight_average.h; may be null) and `meta` (JSON text) to `path`.
void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     const std::string& meta, const NamedTensors* average = nullptr);

/// Restores what save_checkpoint wrote and returns the JSON record; when
/// `average` is given and the file holds averaged parameters, they go there
/// (and `*has_average` says so). A missing, truncated or corrupt file, or one
/// made for other model sizes, is a CheckpointError naming the file.
std::string load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                            NamedTensors* average = nullptr, bool* has_average = nullptr);

/// One of the best checkpoints of a run (training.keep_best): best-STEP.pt,
/// with the dev score it was kept for.
struct RankedCheckpoint {
  int64_t step = 0;
  double score = 0;
  std::string file;  ///< name in the checkpoints directory
};

/// The file of the ranked checkpoint of `step`: "best-STEP.pt".
std::string ranked_file_name(int64_t step);

/// The ranking in `dir`/best.json, best first; empty when there is none. A
/// damaged one, or one naming a file other than ranked_file_name(step), is a
/// CheckpointError naming the file.
std::vector<RankedCheckpoint> read_ranking(const std::string& dir);
void write_ranking(const std::string& dir, const std::vector<RankedCheckpoint>& ranking);

/// The numbered checkpoints (step-N.pt) in directory `dir`, as (N, path), by N;
/// none when `dir` does not exist.
std::vector<std::pair<int64_t, std::string>> numbered_checkpoints(const std::string& dir);

}  // namespace nmt::model
