#include "nmt/data/dataset.h"

#include <filesystem>

#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/common/lock.h"

namespace nmt::data {

std::string cache_path(const std::string& model_dir, const std::string& split) {
  return (std::filesystem::path(model_dir) / "cache" / (split + ".bin")).string();
}

Dataset prepare_dataset(const Config& config, int threads) {
  if (config.model_dir.empty()) throw ConfigError("config key model_dir is required");
  if (config.data.train.empty()) throw ConfigError("config key data.train is required");
  Dataset d{prepare_vocabs(config, threads), std::nullopt, std::nullopt};
  auto open = [&](const FilePair& files, const std::string& split) {
    const std::string path = cache_path(config.model_dir, split);
    if (!config.data.cache) std::filesystem::remove(path);
    return EncodedCorpus::open(files, d.vocabs, config.data.max_len, path);
  };
  d.train = open(config.data.train, "train");
  if (!config.data.valid.empty()) d.valid = open(config.data.valid, "valid");
  return d;
}

Dataset prepare_model_dir(const Config& config, int threads) {
  if (config.model_dir.empty()) throw ConfigError("config key model_dir is required");
  ensure_dir(config.model_dir);
  const DirLock lock(config.model_dir);
  Dataset d = prepare_dataset(config, threads);
  write_config(config, config.model_dir + "/config.json");
  return d;
}

}  // namespace nmt::data
