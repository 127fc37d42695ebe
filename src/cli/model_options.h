// Options shared by the verbs that load trained models (translate, eval --model):
// one model, or several (--model repeated) translating as an ensemble.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "nmt/model/load.h"
#include "nmt/search/translator.h"

namespace nmt::cli {

struct ModelOptions {
  std::vector<std::string> model_dirs;                 ///< --model, once per member
  std::vector<std::string> checkpoints{"best"};        ///< one for all models, or one per model
  std::string weights;                                 ///< --weights "0.5,0.5"; empty: equal
  std::string device = "auto";
  int threads = 0;
  bool int8 = false;  ///< --int8
  std::string shortlist;  ///< --shortlist F,K; empty: the whole vocabulary
  std::optional<int64_t> n_best;  ///< given: print the n-best list (unset: search::SearchOptions' default)
  std::optional<int64_t> max_input_length;  ///< source pieces; unset: the first model's data.max_len
  std::string max_input_length_policy = "crop";
  /// The decoding flags given (--beam, --alpha, ...), by config key: they
  /// override the models' `decoding` sections and are checked as their values are.
  std::map<std::string, std::string> decoding;
};

/// Adds the model flag (`model_flag`: "-m,--model", or "--model" where -m
/// means something else; required or not), --checkpoint, --weights, --device,
/// --threads, --int8, --shortlist, --n-best and one flag per key of the config's `decoding` section to `sub`.
void add_model_options(CLI::App* sub, ModelOptions& opt, const std::string& model_flag, bool model_required);

/// --int8, for every verb that translates.
void add_int8_flag(CLI::App* sub, bool& int8);

/// --shortlist F,K, for every verb that searches.
void add_shortlist_flag(CLI::App* sub, std::string& spec);

/// The shortlist `spec` (--shortlist F,K) asks of `model`, counted over its
/// training corpus; ConfigError naming --shortlist for a malformed one.
std::shared_ptr<const search::Shortlist> open_shortlist(const std::string& spec, const model::LoadedModel& model);

/// Resolves --device for --int8 and turns int8 linear layers on: a
/// ConfigError for any device but the CPU.
torch::Device resolve_int8_device(const std::string& device_flag);

/// Loaded models and the search options to translate with.
struct ModelSession {
  std::vector<model::LoadedModel> models;
  std::vector<double> weights;  ///< one per model, as given (the ensemble normalises them)
  search::SearchOptions search;
  torch::Device device = torch::kCPU;

  /// A translator over every model: the ensemble when there are several.
  search::Translator translator() const;
};

/// Sets the threads, loads the models with the decoding flags applied to their
/// configs, checks that they share the target vocabulary (an error names the
/// two that differ), and resolves the search options from the first model's
/// config. ConfigError for --weights or --checkpoint that do not fit the models.
ModelSession open_model(const ModelOptions& opt);

}  // namespace nmt::cli
