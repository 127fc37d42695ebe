#include <torch/torch.h>

#include "nmt/data/vocab.h"
#include "nmt/search/search.h"

namespace nmt::search {

std::vector<std::vector<int64_t>> greedy(model::Seq2Seq& model, const torch::Tensor& src,
                                         const torch::Tensor& src_mask, const std::vector<int64_t>& max_len) {
  torch::NoGradGuard no_grad;
  const int64_t batch = src.size(0);
  TORCH_CHECK(static_cast<int64_t>(max_len.size()) == batch, "greedy: one max_len per sentence");
  std::vector<std::vector<int64_t>> out(static_cast<std::size_t>(batch));
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
    const auto next = model.step(prev, state).logits.argmax(-1).to(torch::kCPU);
    const auto* ids = next.data_ptr<int64_t>();
    std::vector<int64_t> keep_rows, keep_alive;
    for (std::size_t r = 0; r < alive.size(); ++r) {
      const auto b = static_cast<std::size_t>(alive[r]);
      if (ids[r] == data::kEos) continue;
      out[b].push_back(ids[r]);
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
  return out;
}

}  // namespace nmt::search
