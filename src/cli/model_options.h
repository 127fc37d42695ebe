// Options shared by the verbs that load a trained model (translate, eval --model).
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "nmt/search/translator.h"
#include "nmt/train/checkpoint.h"

namespace nmt::cli {

struct ModelOptions {
  std::string model_dir;
  std::string checkpoint = "best";
  std::string device = "auto";
  int threads = 0;
  // Unset: the model's `decoding` config decides.
  std::optional<int64_t> beam, n_best, max_len_b, batch_tokens;
  std::optional<double> alpha, max_len_a;
};

/// Adds --checkpoint, --device, --threads and the search options to `sub`
/// (--model itself is added by the verb, which decides whether it is required).
void add_model_options(CLI::App* sub, ModelOptions& opt);

/// A loaded model and the search options to translate with.
struct ModelSession {
  train::LoadedModel loaded;
  search::SearchOptions search;
  torch::Device device = torch::kCPU;
};

/// Sets the threads, loads the model and resolves the search options.
ModelSession open_model(const ModelOptions& opt);

}  // namespace nmt::cli
