#include "nmt/train/saver.h"

#include <algorithm>
#include <filesystem>
#include <utility>
#include <vector>

#include "nmt/common/fs.h"
#include "nmt/model/checkpoint.h"

namespace nmt::train {

CheckpointSaver::CheckpointSaver(std::string dir, int64_t keep_numbered) : dir_(std::move(dir)), keep_(keep_numbered) {}

void CheckpointSaver::save(int64_t step, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                           const std::string& record, bool numbered, bool best, const model::NamedTensors* average) {
  ensure_dir(dir_);
  if (numbered && keep_ > 0) {
    const std::string path = dir_ + "/step-" + std::to_string(step) + ".pt";
    model::save_checkpoint(path, model, &optimizer, record, average);
    link_atomic(path, last());
    prune_checkpoints(dir_, keep_);
  } else {
    model::save_checkpoint(last(), model, &optimizer, record, average);
  }
  // best.pt serves translation: the weights without the optimizer, a third of the size.
  if (best) model::save_checkpoint(dir_ + "/best.pt", model, nullptr, record, average);
}

void CheckpointSaver::keep_if_among_best(int64_t step, double score, bool higher_is_better, int64_t keep_best,
                                         torch::nn::Module& model, const std::string& record,
                                         const model::NamedTensors* average) {
  auto ranking = model::read_ranking(dir_);
  const auto better = [&](double a, double b) { return higher_is_better ? a > b : a < b; };
  auto at = std::find_if(ranking.begin(), ranking.end(), [&](const auto& r) { return better(score, r.score); });
  if (at - ranking.begin() >= keep_best) return;
  const std::string file = model::ranked_file_name(step);
  model::save_checkpoint(dir_ + "/" + file, model, nullptr, record, average);
  ranking.insert(at, {step, score, file});
  std::vector<std::string> dropped;
  while (static_cast<int64_t>(ranking.size()) > keep_best) {
    dropped.push_back(ranking.back().file);
    ranking.pop_back();
  }
  model::write_ranking(dir_, ranking);  // before the deletions: a kill between them leaves a file too many, not a hole
  for (const auto& f : dropped) std::filesystem::remove(dir_ + "/" + f);
}

void prune_checkpoints(const std::string& dir, int64_t keep) {
  const auto numbered = model::numbered_checkpoints(dir);
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep) < numbered.size(); ++i) {
    std::filesystem::remove(numbered[i].second);
  }
}

}  // namespace nmt::train
