#include "nmt/train/loss.h"

namespace nmt::train {

LossOutput label_smoothed_nll(const torch::Tensor& logits, const torch::Tensor& targets, double epsilon) {
  TORCH_CHECK(logits.dim() == 3 && targets.dim() == 2 && logits.sizes().slice(0, 2) == targets.sizes(),
              "loss expects logits [B, T, V] and targets [B, T]");
  const auto lprobs = torch::log_softmax(logits, -1);                         // [B, T, V]
  const auto nll = -lprobs.gather(-1, targets.unsqueeze(-1)).squeeze(-1);     // [B, T]
  const auto smooth = -lprobs.mean(-1);                                       // [B, T]
  const auto mask = targets.ne(0).to(lprobs.dtype());
  const auto per_token = (1.0 - epsilon) * nll + epsilon * smooth;
  LossOutput out;
  out.tokens = targets.ne(0).sum().item<int64_t>();
  out.loss = (per_token * mask).sum() / std::max<int64_t>(1, out.tokens);
  out.nll = (nll * mask).sum();
  return out;
}

}  // namespace nmt::train
