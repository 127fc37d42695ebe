#include "nmt/model/load.h"

#include <filesystem>

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
  m.config = parse_config(read_file(config_path), config_path, overrides);
  m.vocabs = data::load_vocabs(model_dir, m.config.vocab.joint);
  m.checkpoint = which == "best" || which == "last" ? (fs::path(model_dir) / "checkpoints" / (which + ".pt")).string()
                                                      : which;
  m.model = make_model(m.config, m.vocabs.src.size(), m.vocabs.tgt.size());
  m.model->to(device);
  load_checkpoint(m.checkpoint, *m.model, nullptr);
  m.model->eval();
  return m;
}

}  // namespace nmt::model
