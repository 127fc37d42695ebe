#include "nmt/model/transformer.h"

#include <cmath>

#include <torch/nn/init.h>

#include "nmt/data/vocab.h"

namespace nmt::model {

FeedForwardImpl::FeedForwardImpl(int64_t d_model, int64_t ff_dim, double activation_dropout) {
  fc1_ = register_module("fc1", torch::nn::Linear(d_model, ff_dim));
  fc2_ = register_module("fc2", torch::nn::Linear(ff_dim, d_model));
  dropout_ = register_module("dropout", Dropout(activation_dropout));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  return affine(dropout_->forward_relu(affine(x, *fc1_)), *fc2_);
}

ResidualImpl::ResidualImpl(int64_t d_model, bool pre_norm, double dropout) : pre_norm_(pre_norm) {
  norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  dropout_ = register_module("dropout", Dropout(dropout));
}

EncoderLayerImpl::EncoderLayerImpl(const TransformerConfig& c, double dropout) {
  self_attention_ = register_module("self_attention", MultiHeadAttention(c.d_model, c.heads, c.attention_dropout));
  feed_forward_ = register_module("feed_forward", FeedForward(c.d_model, c.ff_dim, c.activation_dropout));
  attention_block_ = register_module("attention_block", Residual(c.d_model, c.pre_norm, dropout));
  feed_forward_block_ = register_module("feed_forward_block", Residual(c.d_model, c.pre_norm, dropout));
}

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  auto h = attention_block_->forward(x, [&](const torch::Tensor& in) {
    auto [q, k, v] = self_attention_->queries_keys_values(in);
    return self_attention_->attend(q, k, v, mask, /*causal=*/false);
  });
  return feed_forward_block_->forward(h, [&](const torch::Tensor& in) { return feed_forward_->forward(in); });
}

DecoderLayerImpl::DecoderLayerImpl(const TransformerConfig& c, double dropout) {
  self_attention_ = register_module("self_attention", MultiHeadAttention(c.d_model, c.heads, c.attention_dropout));
  cross_attention = register_module("cross_attention", MultiHeadAttention(c.d_model, c.heads, c.attention_dropout));
  feed_forward_ = register_module("feed_forward", FeedForward(c.d_model, c.ff_dim, c.activation_dropout));
  self_block_ = register_module("self_block", Residual(c.d_model, c.pre_norm, dropout));
  cross_block_ = register_module("cross_block", Residual(c.d_model, c.pre_norm, dropout));
  feed_forward_block_ = register_module("feed_forward_block", Residual(c.d_model, c.pre_norm, dropout));
}

torch::Tensor DecoderLayerImpl::cross_and_feed_forward(const torch::Tensor& y, const torch::Tensor& cross_k,
                                                       const torch::Tensor& cross_v, const torch::Tensor& src_mask,
                                                       torch::Tensor* cross_weights) {
  auto h = cross_block_->forward(y, [&](const torch::Tensor& in) {
    const auto q = cross_attention->queries(in);
    if (cross_weights != nullptr) *cross_weights = cross_attention->weights(q, cross_k, src_mask);
    return cross_attention->attend(q, cross_k, cross_v, src_mask, /*causal=*/false);
  });
  return feed_forward_block_->forward(h, [&](const torch::Tensor& in) { return feed_forward_->forward(in); });
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& y, const torch::Tensor& cross_k,
                                        const torch::Tensor& cross_v, const torch::Tensor& src_mask,
                                        torch::Tensor* cross_weights) {
  // Targets are right-padded, so under the causal mask no real position sees padding.
  auto h = self_block_->forward(y, [&](const torch::Tensor& in) {
    auto [q, k, v] = self_attention_->queries_keys_values(in);
    return self_attention_->attend(q, k, v, torch::Tensor(), /*causal=*/true);
  });
  return cross_and_feed_forward(h, cross_k, cross_v, src_mask, cross_weights);
}

torch::Tensor DecoderLayerImpl::step(const torch::Tensor& y, torch::Tensor& self_k, torch::Tensor& self_v,
                                     const torch::Tensor& cross_k, const torch::Tensor& cross_v,
                                     const torch::Tensor& src_mask) {
  auto h = self_block_->forward(y, [&](const torch::Tensor& in) {
    auto [q, k, v] = self_attention_->queries_keys_values(in);
    self_k = torch::cat({self_k, k}, 2);
    self_v = torch::cat({self_v, v}, 2);
    return self_attention_->attend(q, self_k, self_v, torch::Tensor(), /*causal=*/false);  // sees steps 0..t
  });
  return cross_and_feed_forward(h, cross_k, cross_v, src_mask);
}

TransformerImpl::TransformerImpl(const TransformerConfig& c, int64_t src_vocab, int64_t tgt_vocab, double dropout)
    : config_(c) {
  const auto embedding = [&](int64_t vocab) {
    return torch::nn::Embedding(torch::nn::EmbeddingOptions(vocab, c.d_model).padding_idx(data::kPad));
  };
  if (c.tie_embeddings) {
    TORCH_CHECK(src_vocab == tgt_vocab, "tied embeddings need one joint vocabulary");
    src_embed_ = tgt_embed_ = register_module("embed", embedding(tgt_vocab));
  } else {
    src_embed_ = register_module("src_embed", embedding(src_vocab));
    tgt_embed_ = register_module("tgt_embed", embedding(tgt_vocab));
    out_ = register_module("out", torch::nn::Linear(torch::nn::LinearOptions(c.d_model, tgt_vocab).bias(false)));
  }
  encoder_ = register_module("encoder", torch::nn::ModuleList());
  for (int64_t l = 0; l < c.encoder_layers; ++l) encoder_->push_back(EncoderLayer(c, dropout));
  decoder_ = register_module("decoder", torch::nn::ModuleList());
  for (int64_t l = 0; l < c.decoder_layers; ++l) decoder_->push_back(DecoderLayer(c, dropout));
  if (c.pre_norm) {
    encoder_norm_ = register_module("encoder_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model})));
    decoder_norm_ = register_module("decoder_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model})));
  }
  dropout_ = register_module("dropout", Dropout(dropout));

  // Xavier-uniform projections with zero biases; embeddings N(0, 1/d), so that
  // after the sqrt(d) scaling they have unit variance like the positions.
  torch::NoGradGuard no_grad;
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* linear = m->as<torch::nn::Linear>()) {
      torch::nn::init::xavier_uniform_(linear->weight);
      if (linear->bias.defined()) linear->bias.zero_();
    } else if (auto* table = m->as<torch::nn::Embedding>()) {
      table->weight.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(c.d_model)));
      table->weight[0].zero_();
    }
  }
}

torch::Tensor TransformerImpl::embed(torch::nn::Embedding table, const torch::Tensor& tokens, int64_t offset) {
  const int64_t end = offset + tokens.size(1);
  const auto device = table->weight.device();
  if (!positions_.defined() || positions_.size(0) < end || positions_.device() != device) {
    // PE(p, 2i) = sin(p / 10000^(2i/d)), PE(p, 2i+1) = cos(p / 10000^(2i/d)).
    const int64_t rows = std::max<int64_t>(end, 256);
    const auto pos = torch::arange(rows, torch::kFloat).unsqueeze(1);  // [P, 1]
    const auto rate = torch::exp(torch::arange(0, config_.d_model, 2, torch::kFloat) *
                                 (-std::log(10000.0) / static_cast<double>(config_.d_model)));  // [D/2]
    const auto angles = pos * rate;  // [P, D/2]
    positions_ = torch::stack({torch::sin(angles), torch::cos(angles)}, 2).view({rows, -1})
                     .slice(1, 0, config_.d_model).to(device);
  }
  const auto scaled = table->forward(tokens) * std::sqrt(static_cast<double>(config_.d_model));  // [B, T, D]
  return dropout_->forward(scaled + positions_.slice(0, offset, end));
}

std::pair<torch::Tensor, torch::Tensor> TransformerImpl::output_layer() {
  return {out_ ? out_->weight : tgt_embed_->weight, torch::Tensor()};
}

torch::Tensor TransformerImpl::logits(const torch::Tensor& y, const DecoderState* state) {
  const auto h = config_.pre_norm ? decoder_norm_->forward(y) : y;
  if (state != nullptr && state->output_weight.defined()) return affine(h, state->output_weight);
  return affine(h, output_layer().first);
}

EncoderOutput TransformerImpl::encode(const torch::Tensor& src, const torch::Tensor& src_mask) {
  TORCH_CHECK(src.dim() == 2 && src_mask.sizes() == src.sizes(), "encode expects src and src_mask [B, S]");
  auto x = embed(src_embed_, src, 0);  // [B, S, D]
  for (const auto& layer : *encoder_) x = layer->as<EncoderLayer>()->forward(x, src_mask);
  if (config_.pre_norm) x = encoder_norm_->forward(x);
  return {x, src_mask, {}};
}

std::vector<std::pair<torch::Tensor, torch::Tensor>> TransformerImpl::cross_keys_values(const torch::Tensor& states) {
  std::vector<std::pair<torch::Tensor, torch::Tensor>> kv;
  for (const auto& layer : *decoder_) kv.push_back(layer->as<DecoderLayer>()->cross_attention->keys_values(states));
  return kv;
}

DecoderState TransformerImpl::init_state(const EncoderOutput& enc) {
  DecoderState state;
  state["mask"] = enc.mask;
  state.per_source.insert("mask");
  const auto kv = cross_keys_values(enc.states);
  const int64_t batch = enc.states.size(0), heads = config_.heads, head_dim = config_.d_model / config_.heads;
  for (size_t l = 0; l < kv.size(); ++l) {
    const auto n = std::to_string(l);
    state["cross_k" + n] = kv[l].first;
    state["cross_v" + n] = kv[l].second;
    state.per_source.insert({"cross_k" + n, "cross_v" + n});
    state["self_k" + n] = enc.states.new_empty({batch, heads, 0, head_dim});
    state["self_v" + n] = enc.states.new_empty({batch, heads, 0, head_dim});
  }
  return state;
}

StepOutput TransformerImpl::step(const torch::Tensor& prev_tokens, DecoderState& state) {
  TORCH_CHECK(prev_tokens.dim() == 1, "step expects prev_tokens [B]");
  const int64_t t = state["self_k0"].size(2);
  auto y = embed(tgt_embed_, prev_tokens.unsqueeze(1), t);  // [B, 1, D]
  for (size_t l = 0; l < decoder_->size(); ++l) {
    const auto n = std::to_string(l);
    y = decoder_[l]->as<DecoderLayer>()->step(y, state["self_k" + n], state["self_v" + n], state["cross_k" + n],
                                               state["cross_v" + n], state["mask"]);
  }
  return {logits(y.squeeze(1), &state), torch::Tensor()};
}

torch::Tensor TransformerImpl::decode(const torch::Tensor& src, const torch::Tensor& src_mask,
                                      const torch::Tensor& tgt_in, std::vector<torch::Tensor>* cross_weights) {
  const auto enc = encode(src, src_mask);
  const auto kv = cross_keys_values(enc.states);
  auto y = embed(tgt_embed_, tgt_in, 0);  // [B, T, D]
  for (size_t l = 0; l < decoder_->size(); ++l) {
    torch::Tensor* weights = nullptr;
    if (cross_weights != nullptr) weights = &cross_weights->emplace_back();
    y = decoder_[l]->as<DecoderLayer>()->forward(y, kv[l].first, kv[l].second, src_mask, weights);
  }
  return y;
}

torch::Tensor TransformerImpl::forward(const torch::Tensor& src, const torch::Tensor& src_mask,
                                       const torch::Tensor& tgt_in) {
  return logits(decode(src, src_mask, tgt_in));  // [B, T, V]
}

torch::Tensor TransformerImpl::attention(const torch::Tensor& src, const torch::Tensor& src_mask,
                                         const torch::Tensor& tgt_in, const AttentionChoice& choice) {
  check_attention_choice(choice, attention_layers(), attention_heads());
  std::vector<torch::Tensor> layers;  // each [B, H, T, S]
  decode(src, src_mask, tgt_in, &layers);
  auto w = choice.layer >= 0 ? layers[static_cast<std::size_t>(choice.layer)] : torch::stack(layers).mean(0);
  return choice.head >= 0 ? w.select(1, choice.head) : w.mean(1);  // [B, T, S]
}

double TransformerImpl::forward_macs(int64_t src_len, int64_t tgt_len) const {
  const auto& c = config_;
  const double S = static_cast<double>(src_len), T = static_cast<double>(tgt_len);
  const double V = static_cast<double>(tgt_embed_->weight.size(0));
  const double d = static_cast<double>(c.d_model), f = static_cast<double>(c.ff_dim);
  const double Le = static_cast<double>(c.encoder_layers), Ld = static_cast<double>(c.decoder_layers);
  return S * Le * (4 * d * d + 2 * d * f)                    // encoder Q, K, V, O and feed-forward
         + S * Ld * 2 * d * d                                // cross-attention K, V of the memory
         + T * Ld * (6 * d * d + 2 * d * f)                  // decoder self Q, K, V, O, cross Q, O, feed-forward
         + T * d * V                                         // output projection
         + 2 * d * (Le * S * S + Ld * (T * T + S * T));      // QK^T and AV, full matrices as the peer counts
}

}  // namespace nmt::model
