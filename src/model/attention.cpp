#include "nmt/model/attention.h"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <torch/version.h>

#include "nmt/model/fused.h"

namespace nmt::model {

AdditiveAttentionImpl::AdditiveAttentionImpl(int64_t query_dim, int64_t key_dim, int64_t attention_dim) {
  w_ = register_module("w", torch::nn::Linear(torch::nn::LinearOptions(query_dim, attention_dim).bias(false)));
  u_ = register_module("u", torch::nn::Linear(torch::nn::LinearOptions(key_dim, attention_dim)));
  v_ = register_module("v", torch::nn::Linear(torch::nn::LinearOptions(attention_dim, 1).bias(false)));
}

torch::Tensor AdditiveAttentionImpl::project_keys(const torch::Tensor& annotations) {
  TORCH_CHECK(annotations.dim() == 3, "annotations must be [B, S, H]");
  return affine(annotations, *u_);
}

std::pair<torch::Tensor, torch::Tensor> AdditiveAttentionImpl::forward(const torch::Tensor& query,
                                                                       const torch::Tensor& keys,
                                                                       const torch::Tensor& annotations,
                                                                       const torch::Tensor& mask,
                                                                       const StepWeight* w_a) {
  TORCH_CHECK(query.dim() == 2 && keys.dim() == 3 && mask.dim() == 2, "attention expects query [B, Q], keys [B, S, A], mask [B, S]");
  TORCH_CHECK(keys.size(0) == query.size(0) && mask.sizes() == keys.sizes().slice(0, 2), "attention: batch or length mismatch");
  // [B, S]
  const auto scores = additive_scores(keys, w_a != nullptr ? (*w_a)(query) : affine(query, *w_), v_->weight);
  const auto weights =
      torch::softmax(scores.masked_fill(mask.logical_not(), -std::numeric_limits<float>::infinity()), 1);
  // [B, H]
  const auto context = batched_matmul(weights.view({weights.size(0), 1, 1, weights.size(1)}), annotations.unsqueeze(1))
                           .view({weights.size(0), annotations.size(2)});
  return {context, weights};
}

}  // namespace nmt::model

namespace nmt::model {

namespace {

void check_attention_shapes(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                            const torch::Tensor& key_mask, bool causal) {
  TORCH_CHECK(q.dim() == 4 && k.dim() == 4 && v.sizes() == k.sizes(), "attention expects q [B, H, Tq, Dh], k and v [B, H, Tk, Dh]");
  TORCH_CHECK(q.size(0) == k.size(0) && q.size(1) == k.size(1) && q.size(3) == k.size(3), "attention: q and k disagree");
  TORCH_CHECK(!key_mask.defined() || (key_mask.dim() == 2 && key_mask.size(0) == k.size(0) && key_mask.size(1) == k.size(2)),
              "attention: key_mask must be [B, Tk]");
  TORCH_CHECK(!causal || q.size(2) == k.size(2), "causal attention needs as many queries as keys");
}

// [Tq, Tk] bool, true where query i may see key j (j <= i).
torch::Tensor causal_allowed(int64_t length, const torch::Device& device) {
  return torch::ones({length, length}, torch::dtype(torch::kBool).device(device)).tril();
}

}  // namespace

torch::Tensor reference_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const torch::Tensor& key_mask, bool causal, double dropout) {
  check_attention_shapes(q, k, v, key_mask, causal);
  auto scores = batched_matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(3)));  // [B, H, Tq, Tk]
  constexpr float kMasked = -std::numeric_limits<float>::infinity();
  if (key_mask.defined()) scores = scores.masked_fill(key_mask.logical_not().view({k.size(0), 1, 1, k.size(2)}), kMasked);
  if (causal) scores = scores.masked_fill(causal_allowed(q.size(2), q.device()).logical_not(), kMasked);
  auto weights = torch::softmax(scores, -1);
  if (dropout > 0) weights = model::dropout(weights, dropout, /*train=*/true);
  return batched_matmul(weights, v);
}

torch::Tensor scaled_dot_product_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                           const torch::Tensor& key_mask, bool causal, double dropout) {
#if TORCH_VERSION_MAJOR >= 2
  check_attention_shapes(q, k, v, key_mask, causal);
  c10::optional<torch::Tensor> mask;
  if (key_mask.defined()) {
    mask = key_mask.view({k.size(0), 1, 1, k.size(2)});
    // The fused kernels take one mask: with both, fold the causal one in (never the case in this project).
    if (causal) {
      mask = mask->logical_and(causal_allowed(q.size(2), q.device()));
      causal = false;
    }
  }
  return at::scaled_dot_product_attention(q, k, v, mask, dropout, causal);
#else
  if (!torch::GradMode::is_enabled() && dropout == 0 && q.is_cpu() && q.scalar_type() == torch::kFloat) {
    check_attention_shapes(q, k, v, key_mask, causal);
    return attention_inference(q, k, v, key_mask, causal);
  }
  return reference_attention(q, k, v, key_mask, causal, dropout);
#endif
}

MultiHeadAttentionImpl::MultiHeadAttentionImpl(int64_t d_model, int64_t heads, double dropout)
    : d_model_(d_model), heads_(heads), dropout_(dropout) {
  TORCH_CHECK(d_model % heads == 0, "d_model must be divisible by heads");
  in_ = register_module("in_proj", torch::nn::Linear(d_model, 3 * d_model));
  out_ = register_module("out_proj", torch::nn::Linear(d_model, d_model));
}

torch::Tensor MultiHeadAttentionImpl::split_heads(const torch::Tensor& x) const {
  return x.view({x.size(0), x.size(1), heads_, d_model_ / heads_}).transpose(1, 2);
}

torch::Tensor MultiHeadAttentionImpl::queries(const torch::Tensor& x) {
  const auto w = in_->weight.slice(0, 0, d_model_);
  const auto b = in_->bias.slice(0, 0, d_model_);
  return split_heads(affine(x, w, b));
}

std::pair<torch::Tensor, torch::Tensor> MultiHeadAttentionImpl::keys_values(const torch::Tensor& x) {
  const auto w = in_->weight.slice(0, d_model_);
  const auto b = in_->bias.slice(0, d_model_);
  const auto kv = affine(x, w, b).chunk(2, -1);
  return {split_heads(kv[0]), split_heads(kv[1])};
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> MultiHeadAttentionImpl::queries_keys_values(
    const torch::Tensor& x) {
  const auto qkv = affine(x, *in_).chunk(3, -1);
  return {split_heads(qkv[0]), split_heads(qkv[1]), split_heads(qkv[2])};
}

torch::Tensor MultiHeadAttentionImpl::weights(const torch::Tensor& q, const torch::Tensor& k,
                                              const torch::Tensor& key_mask) const {
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(3)));
  if (key_mask.defined()) {
    scores = scores.masked_fill(key_mask.logical_not().view({k.size(0), 1, 1, k.size(2)}),
                                -std::numeric_limits<float>::infinity());
  }
  return torch::softmax(scores, -1);
}

torch::Tensor MultiHeadAttentionImpl::attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                             const torch::Tensor& key_mask, bool causal) {
  const auto heads = scaled_dot_product_attention(q, k, v, key_mask, causal, is_training() ? dropout_ : 0.0);
  const auto merged = heads.transpose(1, 2).reshape({q.size(0), q.size(2), d_model_});  // [B, Tq, D]
  return affine(merged, *out_);
}

}  // namespace nmt::model
