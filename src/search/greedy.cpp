// Left-to-right decoding with one hypothesis per sentence: greedy search and sampling.
#include <functional>

#include <torch/torch.h>

#include "nmt/data/vocab.h"
#include "nmt/search/search.h"

namespace nmt::search {
namespace {

// Picks the next token of every row from its log-probabilities [R, V]: [R] int64 on the CPU.
using Choose = std::function<torch::Tensor(const torch::Tensor& log_probs)>;

std::vector<Hypothesis> one_best(Ensemble& models, Ensemble::State state, const std::vector<int64_t>& max_len,
                                 double alpha, const Choose& choose) {
  torch::NoGradGuard no_grad;
  const auto batch = static_cast<int64_t>(max_len.size());
  std::vector<Hypothesis> out(static_cast<std::size_t>(batch));
  std::vector<double> log_prob(static_cast<std::size_t>(batch), 0.0);
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(models.device());
  // Rows still decoding; finished sentences leave the batch.
  std::vector<int64_t> alive;
  for (int64_t b = 0; b < batch; ++b) {
    if (max_len[static_cast<std::size_t>(b)] > 0) alive.push_back(b);
  }
  if (alive.size() != static_cast<std::size_t>(batch)) state.select(torch::tensor(alive, long_opts));
  auto prev = torch::full({static_cast<int64_t>(alive.size())}, static_cast<int64_t>(data::kBos), long_opts);
  for (int64_t t = 0; !alive.empty(); ++t) {
    const auto log_probs = models.step(prev, state);
    const auto column = choose(log_probs).contiguous();
    const auto chosen_lp = log_probs.gather(1, column.to(log_probs.device()).unsqueeze(1)).squeeze(1).to(torch::kCPU);
    const auto next = state.ids(column).contiguous();
    const auto* ids = next.data_ptr<int64_t>();
    const auto* lps = chosen_lp.data_ptr<float>();
    std::vector<int64_t> keep_rows, keep_alive;
    for (std::size_t r = 0; r < alive.size(); ++r) {
      const auto b = static_cast<std::size_t>(alive[r]);
      log_prob[b] += lps[r];
      if (ids[r] == data::kEos) continue;
      out[b].tokens.push_back(ids[r]);
      if (t + 1 < max_len[b]) {
        keep_rows.push_back(static_cast<int64_t>(r));
        keep_alive.push_back(alive[r]);
      }
    }
    if (keep_rows.empty()) break;
    if (keep_rows.size() != alive.size()) state.select(torch::tensor(keep_rows, long_opts));
    prev = next.index_select(0, torch::tensor(keep_rows)).to(models.device());
    alive = std::move(keep_alive);
  }
  for (std::size_t b = 0; b < out.size(); ++b) {
    // Length as beam_search counts it: the tokens plus the eos (present or not).
    const auto length = static_cast<int64_t>(out[b].tokens.size()) + 1;
    out[b].score = log_prob[b] / length_penalty(length, alpha);
  }
  return out;
}

// Draws one column per row of non-negative `weights` [B, N]; [B] int64.
torch::Tensor draw(const torch::Tensor& weights, at::Generator& generator) {
  return torch::multinomial(weights, 1, /*replacement=*/false, generator).squeeze(1);
}

}  // namespace

std::vector<Hypothesis> greedy(Ensemble& models, Ensemble::State state, const std::vector<int64_t>& max_len,
                               double alpha) {
  return one_best(models, std::move(state), max_len, alpha,
                  [](const torch::Tensor& log_probs) { return log_probs.argmax(-1).to(torch::kCPU); });
}

std::vector<Hypothesis> greedy(model::Seq2Seq& model, const torch::Tensor& src, const torch::Tensor& src_mask,
                               const std::vector<int64_t>& max_len, double alpha) {
  TORCH_CHECK(static_cast<int64_t>(max_len.size()) == src.size(0), "greedy: one max_len per sentence");
  Ensemble alone(model);
  return greedy(alone, alone.start(src, src_mask), max_len, alpha);
}

torch::Tensor sample_tokens(const torch::Tensor& log_probs, const Sampling& sampling, double temperature,
                            at::Generator& generator) {
  TORCH_CHECK(sampling.enabled() && temperature > 0, "sample_tokens: needs a sampling kind and temperature > 0");
  const auto scaled = log_probs.to(torch::kCPU, torch::kFloat).div(temperature);
  switch (sampling.kind) {
    case Sampling::Kind::topk: {
      const auto top = scaled.topk(std::min<int64_t>(sampling.k, scaled.size(-1)), -1);
      const auto pick = draw(torch::softmax(std::get<0>(top), -1), generator);
      return std::get<1>(top).gather(1, pick.unsqueeze(1)).squeeze(1);
    }
    case Sampling::Kind::topp: {
      const auto sorted = scaled.sort(-1, /*descending=*/true);
      auto probs = torch::softmax(std::get<0>(sorted), -1);
      // A token stays when the tokens ranked above it hold less than P: the
      // smallest prefix reaching P. The most likely token always stays, even
      // where P is below what a float holds (1e-300 is 0 there).
      auto drop = probs.cumsum(-1).sub(probs).ge(sampling.p);
      drop.select(-1, 0).fill_(false);
      probs.masked_fill_(drop, 0);
      const auto pick = draw(probs, generator);
      return std::get<1>(sorted).gather(1, pick.unsqueeze(1)).squeeze(1);
    }
    case Sampling::Kind::full:
    case Sampling::Kind::none: break;
  }
  return draw(torch::softmax(scaled, -1), generator);
}

std::vector<Hypothesis> sample(Ensemble& models, Ensemble::State state, const std::vector<int64_t>& max_len,
                               double alpha, const Sampling& sampling, double temperature, at::Generator& generator) {
  return one_best(models, std::move(state), max_len, alpha, [&](const torch::Tensor& log_probs) {
    return sample_tokens(log_probs, sampling, temperature, generator);
  });
}

}  // namespace nmt::search
