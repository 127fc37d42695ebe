// Options shared by the verbs that load a trained model (translate, eval --model).
#pragma once

#include <map>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "nmt/model/load.h"
#include "nmt/search/translator.h"

namespace nmt::cli {

struct ModelOptions {
  std::string model_dir;
  std::string checkpoint = "best";
  std::string device = "auto";
  int threads = 0;
  std::optional<int64_t> n_best;  ///< given: print the n-best list (unset: search::SearchOptions' default)
  std::optional<int64_t> max_input_length;  ///< source pieces; unset: the model's data.max_len
  std::string max_input_length_policy = "crop";
  /// The decoding flags given (--beam, --alpha, ...), by config key: they
  /// override the model's `decoding` section and are checked as its values are.
  std::map<std::string, std::string> decoding;
};

/// Adds --checkpoint, --device, --threads, --n-best and one flag per key of
/// the config's `decoding` section to `sub` (--model itself is added by the
/// verb, which decides whether it is required).
void add_model_options(CLI::App* sub, ModelOptions& opt);

/// A loaded model and the search options to translate with.
struct ModelSession {
  model::LoadedModel loaded;
  search::SearchOptions search;
  torch::Device device = torch::kCPU;
};

/// Sets the threads, loads the model with the decoding flags applied to its
/// config, and resolves the search options.
ModelSession open_model(const ModelOptions& opt);

}  // namespace nmt::cli
