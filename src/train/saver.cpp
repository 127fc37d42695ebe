#include "nmt/train/saver.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <utility>
#include <vector>

#include "nmt/common/fs.h"
#include "nmt/model/checkpoint.h"

namespace nmt::train {

CheckpointSaver::CheckpointSaver(std::string dir, int64_t keep_numbered) : dir_(std::move(dir)), keep_(keep_numbered) {}

void CheckpointSaver::save(int64_t step, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                           const std::string& record, bool numbered, bool best) {
  ensure_dir(dir_);
  if (numbered && keep_ > 0) {
    const std::string path = dir_ + "/step-" + std::to_string(step) + ".pt";
    model::save_checkpoint(path, model, &optimizer, record);
    link_atomic(path, last());
    prune_checkpoints(dir_, keep_);
  } else {
    model::save_checkpoint(last(), model, &optimizer, record);
  }
  // best.pt serves translation: the weights without the optimizer, a third of the size.
  if (best) model::save_checkpoint(dir_ + "/best.pt", model, nullptr, record);
}

void prune_checkpoints(const std::string& dir, int64_t keep) {
  std::vector<std::pair<int64_t, std::filesystem::path>> numbered;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    int64_t step = 0;
    int used = 0;
    if (std::sscanf(name.c_str(), "step-%" SCNd64 ".pt%n", &step, &used) == 1 &&
        static_cast<std::size_t>(used) == name.size()) {
      numbered.emplace_back(step, entry.path());
    }
  }
  std::sort(numbered.begin(), numbered.end());
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep) < numbered.size(); ++i) {
    std::filesystem::remove(numbered[i].second);
  }
}

}  // namespace nmt::train
