#include <torch/torch.h>

#include "nmt/data/vocab.h"
#include "nmt/search/search.h"

namespace nmt::search {

std::vector<Hypothesis> greedy(model::Seq2Seq& model, const torch::Tensor& src, const torch::Tensor& src_mask,
                               const std::vector<int64_t>& max_len, double alpha) {
  torch::NoGradGuard no_grad;
  const int64_t batch = src.size(0);
  TORCH_CHECK(static_cast<int64_t>(max_len.size()) == batch, "greedy: one max_len per sentence");
  std::vector<Hypothesis> out(static_cast<std::size_t>(batch));
  std::vector<double> log_prob(static_cast<std::size_t>(batch), 0.0);
  auto state = model.init_state(model.encode(src, src_mask));
  const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(src.device());
  // Rows still decoding; finished sentences leave the batch.
  std::vector<int64_t> alive;
  for (int64_t b = 0; b < batch; ++b) {
    if (max_len[static_cast<std::size_t>(b)] > 0) alive.push_back(b);
  }
  if (alive.size() != static_cast<std::size_t>(batch)) state.select(torch::tensor(alive, long_opts));
  auto prev = torch::full({static_cast<int64_t>(alive.size())}, static_cast<int64_t>(data::kBos), long_opts);
  for (int64_t t = 0; !alive.empty(); ++t) {
    const auto log_probs = next_token_log_probs(model.step(prev, state).logits);
    const auto best = log_probs.max(-1);
    const auto next = std::get<1>(best).to(torch::kCPU);
    const auto best_lp = std::get<0>(best).to(torch::kCPU);
    const auto* ids = next.data_ptr<int64_t>();
    const auto* lps = best_lp.data_ptr<float>();
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
    const auto rows = torch::tensor(keep_rows, long_opts);
    if (keep_rows.size() != alive.size()) state.select(rows);
    prev = next.index_select(0, torch::tensor(keep_rows)).to(src.device());
    alive = std::move(keep_alive);
  }
  for (std::size_t b = 0; b < out.size(); ++b) {
    // Length as beam_search counts it: the tokens plus the eos (present or not).
    const auto length = static_cast<int64_t>(out[b].tokens.size()) + 1;
    out[b].score = log_prob[b] / length_penalty(length, alpha);
  }
  return out;
}

}  // namespace nmt::search
