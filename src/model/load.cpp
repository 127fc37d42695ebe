#include "nmt/model/load.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/model/checkpoint.h"
#include "nmt/model/factory.h"

namespace nmt::model {

LoadedModel load_model(const std::string& model_dir, const std::string& which, torch::Device device,
                       const std::vector<Override>& overrides) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(model_dir, ec)) throw CheckpointError("model directory '" + model_dir + "' does not exist");
  if (!fs::is_directory(model_dir, ec)) {
    throw CheckpointError("model directory '" + model_dir + "' is a file, not a directory (nmt train writes one)");
  }
  const std::string config_path = (fs::path(model_dir) / "config.json").string();
  if (!fs::exists(config_path, ec)) {
    throw CheckpointError("'" + model_dir + "' is not a model directory: '" + config_path +
                          "' does not exist (nmt train writes it)");
  }
  LoadedModel m;
  m.config = parse_config(read_file(config_path, kMaxConfigBytes, "config"), config_path, overrides);
  m.dir = model_dir;
  m.vocabs = data::load_vocabs(model_dir, m.config.vocab.joint);
  m.checkpoint = which == "best" || which == "last" ? (fs::path(model_dir) / "checkpoints" / (which + ".pt")).string()
                                                      : which;
  m.model = make_model(m.config, m.vocabs.src.size(), m.vocabs.tgt.size());
  m.model->to(device);
  load_weights(m.checkpoint, *m.model);
  m.model->eval();
  return m;
}

void load_weights(const std::string& checkpoint, torch::nn::Module& model) {
  NamedTensors average;
  bool has_average = false;
  load_checkpoint(checkpoint, model, nullptr, &average, &has_average);
  if (has_average) {
    torch::NoGradGuard no_grad;
    for (auto& p : model.named_parameters()) p.value().copy_(average[p.key()]);
  }
}

void average_checkpoints(const std::string& model_dir, const std::vector<std::string>& checkpoints,
                         const std::string& output) {
  if (checkpoints.empty()) throw ConfigError("no checkpoints to average");
  LoadedModel m = load_model(model_dir, checkpoints.front(), torch::kCPU);
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> sum;  // in double, so that the order of the sum does not matter
  for (const auto& p : m.model->parameters()) sum.push_back(p.to(torch::kFloat64));
  for (std::size_t i = 1; i < checkpoints.size(); ++i) {
    try {
      load_weights(checkpoints[i], *m.model);
    } catch (const CheckpointError& e) {
      throw CheckpointError(std::string(e.what()) + " (averaged with '" + checkpoints.front() + "')");
    }
    const auto params = m.model->parameters();
    for (std::size_t k = 0; k < params.size(); ++k) sum[k] += params[k].to(torch::kFloat64);
  }
  auto params = m.model->parameters();
  for (std::size_t k = 0; k < params.size(); ++k) {
    params[k].copy_(sum[k] / static_cast<double>(checkpoints.size()));
  }
  save_checkpoint(output, *m.model, nullptr, nlohmann::json{{"averaged", checkpoints}}.dump());
}

std::vector<std::string> last_checkpoints(const std::string& model_dir, int64_t n) {
  const std::string dir = model_dir + "/checkpoints";
  const auto numbered = numbered_checkpoints(dir);
  if (static_cast<int64_t>(numbered.size()) < n) {
    throw ConfigError("--last " + std::to_string(n) + ": '" + dir + "' holds " + std::to_string(numbered.size()) +
                      " numbered checkpoints (step-N.pt)");
  }
  std::vector<std::string> out;
  for (auto it = numbered.end() - n; it != numbered.end(); ++it) out.push_back(it->second);
  return out;
}

std::vector<std::string> best_checkpoints(const std::string& model_dir, int64_t n) {
  const std::string dir = model_dir + "/checkpoints";
  const auto ranking = read_ranking(dir);
  if (static_cast<int64_t>(ranking.size()) < n) {
    throw ConfigError("--best " + std::to_string(n) + ": '" + dir + "' keeps " + std::to_string(ranking.size()) +
                      " ranked checkpoints (training.keep_best)");
  }
  std::vector<std::string> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(dir + "/" + ranking[static_cast<std::size_t>(i)].file);
  return out;
}

}  // namespace nmt::model
