// A trained model directory, loaded for inference: what translate, eval and
// the search benchmark read. It needs nothing of the training code.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "nmt/common/config.h"
#include "nmt/data/vocab.h"
#include "nmt/model/seq2seq.h"

namespace nmt::model {

/// A model ready to translate.
struct LoadedModel {
  std::string dir;  ///< the model directory it was loaded from (config.model_dir is where it was trained)
  Config config;  ///< the run's resolved config (model_dir/config.json), with the overrides applied
  data::Vocabs vocabs;
  std::shared_ptr<Seq2Seq> model;  ///< on the requested device, in eval mode
  std::string checkpoint;          ///< the file the weights came from
};

/// Loads `model_dir` with the weights of `which`: "best", "last", or a path.
/// `overrides` change keys of its config, e.g. the decoding flags of `nmt
/// translate`, checked as the config's own values are. A missing directory,
/// config, vocabulary or checkpoint is an error naming the file.
LoadedModel load_model(const std::string& model_dir, const std::string& which, torch::Device device,
                       const std::vector<Override>& overrides = {});

/// Loads the weights translation uses from `checkpoint` into `model`: its
/// weight average when it holds one (training.ema_decay), else its weights.
void load_weights(const std::string& checkpoint, torch::nn::Module& model);

/// Writes to `output` a checkpoint (without optimizer) whose weights are the
/// mean of those of `checkpoints` (each read as load_weights reads it), all of
/// the model in `model_dir`; at least one. A checkpoint that does not fit the
/// model is a CheckpointError naming it and the first.
void average_checkpoints(const std::string& model_dir, const std::vector<std::string>& checkpoints,
                         const std::string& output);

/// The newest `n` numbered checkpoints (step-N.pt) of `model_dir`, oldest
/// first; ConfigError when it holds fewer.
std::vector<std::string> last_checkpoints(const std::string& model_dir, int64_t n);

/// The `n` best checkpoints of `model_dir` (training.keep_best), best first;
/// ConfigError when it kept fewer.
std::vector<std::string> best_checkpoints(const std::string& model_dir, int64_t n);

}  // namespace nmt::model
