#include "nmt/model/attention.h"

#include <limits>

namespace nmt::model {

AdditiveAttentionImpl::AdditiveAttentionImpl(int64_t query_dim, int64_t key_dim, int64_t attention_dim) {
  w_ = register_module("w", torch::nn::Linear(torch::nn::LinearOptions(query_dim, attention_dim).bias(false)));
  u_ = register_module("u", torch::nn::Linear(torch::nn::LinearOptions(key_dim, attention_dim)));
  v_ = register_module("v", torch::nn::Linear(torch::nn::LinearOptions(attention_dim, 1).bias(false)));
}

torch::Tensor AdditiveAttentionImpl::project_keys(const torch::Tensor& annotations) {
  TORCH_CHECK(annotations.dim() == 3, "annotations must be [B, S, H]");
  return u_->forward(annotations);
}

std::pair<torch::Tensor, torch::Tensor> AdditiveAttentionImpl::forward(const torch::Tensor& query,
                                                                       const torch::Tensor& keys,
                                                                       const torch::Tensor& annotations,
                                                                       const torch::Tensor& mask) {
  TORCH_CHECK(query.dim() == 2 && keys.dim() == 3 && mask.dim() == 2, "attention expects query [B, Q], keys [B, S, A], mask [B, S]");
  TORCH_CHECK(keys.size(0) == query.size(0) && mask.sizes() == keys.sizes().slice(0, 2), "attention: batch or length mismatch");
  // [B, S]
  const auto scores = v_->forward(torch::tanh(keys + w_->forward(query).unsqueeze(1))).squeeze(2);
  const auto weights =
      torch::softmax(scores.masked_fill(mask.logical_not(), -std::numeric_limits<float>::infinity()), 1);
  // [B, H]
  const auto context = torch::bmm(weights.unsqueeze(1), annotations).squeeze(1);
  return {context, weights};
}

}  // namespace nmt::model
