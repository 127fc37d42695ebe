// Additive alignment (Bahdanau et al. 2014, sec. 3.1 and appendix A.1.2):
//   e_ij = v_a^T tanh(W_a s_{i-1} + U_a h_j),  a_ij = softmax_j(e_ij) over real tokens.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

namespace nmt::model {

class AdditiveAttentionImpl : public torch::nn::Module {
 public:
  AdditiveAttentionImpl(int64_t query_dim, int64_t key_dim, int64_t attention_dim);

  /// U_a h_j for every source position, once per sentence: [B, S, A].
  torch::Tensor project_keys(const torch::Tensor& annotations);

  /// query [B, Q] (s_{i-1}), keys [B, S, A] (projected), annotations [B, S, H],
  /// mask [B, S] bool. Returns the context [B, H] and the weights [B, S],
  /// exactly 0 on padding.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& query, const torch::Tensor& keys,
                                                  const torch::Tensor& annotations, const torch::Tensor& mask);

 private:
  torch::nn::Linear w_{nullptr};  // W_a: query -> A
  torch::nn::Linear u_{nullptr};  // U_a: annotation -> A
  torch::nn::Linear v_{nullptr};  // v_a: A -> 1
};
TORCH_MODULE(AdditiveAttention);

}  // namespace nmt::model
