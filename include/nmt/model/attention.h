// The attention functions of both model families:
// - additive alignment (Bahdanau et al. 2014, sec. 3.1 and appendix A.1.2):
//     e_ij = v_a^T tanh(W_a s_{i-1} + U_a h_j),  a_ij = softmax_j(e_ij) over real tokens;
// - scaled dot-product and multi-head attention (Vaswani et al. 2017, sec. 3.2).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

#include <tuple>
#include <utility>

#include "nmt/model/fused.h"

namespace nmt::model {

class AdditiveAttentionImpl : public torch::nn::Module {
 public:
  AdditiveAttentionImpl(int64_t query_dim, int64_t key_dim, int64_t attention_dim);

  /// U_a h_j for every source position, once per sentence: [B, S, A].
  torch::Tensor project_keys(const torch::Tensor& annotations);

  /// query [B, Q] (s_{i-1}), keys [B, S, A] (projected), annotations [B, S, H],
  /// mask [B, S] bool. Returns the context [B, H] and the weights [B, S],
  /// exactly 0 on padding. `w_a`: W_a as a StepWeight, over a whole sequence.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& query, const torch::Tensor& keys,
                                                  const torch::Tensor& annotations, const torch::Tensor& mask,
                                                  const StepWeight* w_a = nullptr);
  const torch::Tensor& query_weight() const { return w_->weight; }

 private:
  torch::nn::Linear w_{nullptr};  // W_a: query -> A
  torch::nn::Linear u_{nullptr};  // U_a: annotation -> A
  torch::nn::Linear v_{nullptr};  // v_a: A -> 1
};
TORCH_MODULE(AdditiveAttention);


/// Scaled dot-product attention softmax(q k^T / sqrt(d)) v, for self- and cross-attention.
///   q [B, H, Tq, Dh], k and v [B, H, Tk, Dh] -> [B, H, Tq, Dh].
///   key_mask [B, Tk] bool, true on real tokens, or undefined for none.
///   causal: query i sees keys 0..i; needs Tq == Tk.
/// Neither mask is expanded to [B, H, Tq, Tk]. With LibTorch >= 2 this is
/// at::scaled_dot_product_attention (fused kernels); otherwise, without autograd
/// or dropout on the CPU, attention_inference (nmt/model/fused.h), else the reference below.
torch::Tensor scaled_dot_product_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                           const torch::Tensor& key_mask, bool causal, double dropout = 0.0);

/// The masked matmul-softmax form of the same function, built with every LibTorch.
torch::Tensor reference_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const torch::Tensor& key_mask, bool causal, double dropout = 0.0);

/// Multi-head attention (Vaswani et al. 2017, sec. 3.2.2) with one packed input
/// projection [Q; K; V] so that self-attention projects in one GEMM.
class MultiHeadAttentionImpl : public torch::nn::Module {
 public:
  MultiHeadAttentionImpl(int64_t d_model, int64_t heads, double dropout);

  /// x [B, T, D] -> queries [B, H, T, Dh].
  torch::Tensor queries(const torch::Tensor& x);
  /// x [B, T, D] -> keys and values, each [B, H, T, Dh].
  std::pair<torch::Tensor, torch::Tensor> keys_values(const torch::Tensor& x);
  /// x [B, T, D] -> queries, keys and values in one GEMM.
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> queries_keys_values(const torch::Tensor& x);
  /// The attention weights softmax(q k^T / sqrt(Dh)) under key_mask [B, Tk]:
  /// [B, H, Tq, Tk], for showing where each head looks.
  torch::Tensor weights(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& key_mask) const;
  /// Attends and projects back: [B, Tq, D].
  torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                       const torch::Tensor& key_mask, bool causal);

 private:
  torch::Tensor split_heads(const torch::Tensor& x) const;  // [B, T, D] -> [B, H, T, Dh]

  int64_t d_model_, heads_;
  double dropout_;
  torch::nn::Linear in_{nullptr};   // D -> 3D, rows [W_q; W_k; W_v]
  torch::nn::Linear out_{nullptr};  // D -> D
};
TORCH_MODULE(MultiHeadAttention);

}  // namespace nmt::model
