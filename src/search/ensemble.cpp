#include "nmt/search/ensemble.h"

#include <numeric>

#include <torch/torch.h>

#include "nmt/search/search.h"

namespace nmt::search {

Ensemble::Ensemble(std::vector<model::Seq2Seq*> models, std::vector<double> weights)
    : models_(std::move(models)), weights_(std::move(weights)) {
  TORCH_CHECK(!models_.empty() && weights_.size() == models_.size(), "Ensemble: one weight per model");
  const double sum = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  for (const double w : weights_) TORCH_CHECK(w >= 0, "Ensemble: weights must be >= 0");
  TORCH_CHECK(sum > 0, "Ensemble: weights must sum to a positive number");
  for (double& w : weights_) w /= sum;
  const auto params = models_.front()->parameters();
  if (!params.empty()) device_ = params.front().device();
}

Ensemble::State Ensemble::start(const std::vector<torch::Tensor>& src, const std::vector<torch::Tensor>& src_mask) {
  TORCH_CHECK(src.size() == models_.size() && src_mask.size() == models_.size(), "Ensemble: one source per model");
  State state;
  for (std::size_t i = 0; i < models_.size(); ++i) {
    state.members.push_back(models_[i]->init_state(models_[i]->encode(src[i], src_mask[i])));
  }
  return state;
}

Ensemble::State Ensemble::start(const torch::Tensor& src, const torch::Tensor& src_mask) {
  return start(std::vector<torch::Tensor>(models_.size(), src), std::vector<torch::Tensor>(models_.size(), src_mask));
}

void Ensemble::restrict(State& state, const torch::Tensor& vocab) const {
  state.vocab = vocab.to(torch::kCPU, torch::kLong).contiguous();
  const auto rows = state.vocab.to(device_);
  for (std::size_t i = 0; i < models_.size(); ++i) {
    const auto [weight, bias] = models_[i]->output_layer();
    auto& member = state.members[i];
    member.output_weight = weight.index_select(0, rows);
    member.output_bias = bias.defined() ? bias.index_select(0, rows) : torch::Tensor();
  }
}

torch::Tensor Ensemble::step(const torch::Tensor& prev, State& state) {
  // A shortlist holds neither pad nor bos: nothing to rule out.
  const auto log_probs = [&](const torch::Tensor& logits) {
    return state.vocab.defined() ? torch::log_softmax(logits.to(torch::kFloat), -1) : next_token_log_probs(logits);
  };
  if (models_.size() == 1) return log_probs(models_[0]->step(prev, state.members[0]).logits);
  torch::Tensor mean;
  for (std::size_t i = 0; i < models_.size(); ++i) {
    if (weights_[i] == 0) continue;  // no say: not stepped (and its -inf times 0 would be NaN)
    const auto lp = log_probs(models_[i]->step(prev, state.members[i]).logits);
    mean = mean.defined() ? mean.add_(lp, weights_[i]) : lp.mul(weights_[i]);
  }
  return mean;
}

}  // namespace nmt::search
