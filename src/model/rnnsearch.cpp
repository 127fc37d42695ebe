#include "nmt/model/rnnsearch.h"

#include <torch/nn/utils/rnn.h>

#include "nmt/data/vocab.h"

namespace nmt::model {

RNNSearchImpl::RNNSearchImpl(const RnnsearchConfig& c, int64_t src_vocab, int64_t tgt_vocab, double dropout)
    : config_(c) {
  const int64_t annotation = 2 * c.encoder_hidden;
  src_embed_ = register_module("src_embed", torch::nn::Embedding(torch::nn::EmbeddingOptions(src_vocab, c.embed_dim).padding_idx(data::kPad)));
  tgt_embed_ = register_module("tgt_embed", torch::nn::Embedding(torch::nn::EmbeddingOptions(tgt_vocab, c.embed_dim).padding_idx(data::kPad)));
  encoder_ = register_module(
      "encoder", torch::nn::GRU(torch::nn::GRUOptions(c.embed_dim, c.encoder_hidden).bidirectional(true).batch_first(true)));
  init_ = register_module("init", torch::nn::Linear(c.init_state == InitState::mean ? annotation : c.encoder_hidden, c.decoder_hidden));
  attention_ = register_module("attention", AdditiveAttention(c.decoder_hidden, annotation, c.attention_dim));
  decoder_ = register_module("decoder", torch::nn::GRUCell(c.embed_dim + annotation, c.decoder_hidden));
  deep_ = register_module("deep", torch::nn::Linear(c.decoder_hidden + c.embed_dim + annotation, 2 * c.maxout_dim));
  out_ = register_module("out", torch::nn::Linear(c.maxout_dim, tgt_vocab));
  dropout_ = register_module("dropout", Dropout(dropout));
}

torch::Tensor RNNSearchImpl::annotate_reference(const torch::Tensor& emb, const torch::Tensor& src_mask) {
  // Packed, so padding never enters the backward direction.
  const auto lengths = src_mask.sum(1).to(torch::kCPU);
  const auto packed = torch::nn::utils::rnn::pack_padded_sequence(emb, lengths, /*batch_first=*/true,
                                                                  /*enforce_sorted=*/false);
  const auto out = std::get<0>(encoder_->forward_with_packed_input(packed));
  return std::get<0>(torch::nn::utils::rnn::pad_packed_sequence(out, /*batch_first=*/true, 0.0, emb.size(1)));
}

torch::Tensor RNNSearchImpl::annotate(const torch::Tensor& emb, const torch::Tensor& src_mask) {
  // Sources are right-padded. Zeroing the state on padding after every step
  // makes each direction what the packed GRU computes: the forward one's
  // padded steps come after every real one, and the backward one starts each
  // sentence from a zero state at its last token.
  const auto keep = src_mask.to(emb.dtype()).unbind(1);  // S x [B]
  const int64_t length = emb.size(1);
  const auto weights = encoder_->all_weights();  // w_ih, w_hh, b_ih, b_hh per direction, forward first
  std::vector<torch::Tensor> directions;
  for (const bool backward : {false, true}) {
    const auto* w = &weights[backward ? 4 : 0];
    const auto input_gates = affine(emb, w[0], w[2]).unbind(1);  // S x [B, 3H], all steps in one product
    const StepWeight hidden(w[1]);
    std::vector<torch::Tensor> states(static_cast<std::size_t>(length));
    auto h = emb.new_zeros({emb.size(0), config_.encoder_hidden});
    for (int64_t i = 0; i < length; ++i) {
      const auto t = static_cast<std::size_t>(backward ? length - 1 - i : i);
      h = gru_gates(input_gates[t], hidden(h) + w[3], h) * keep[t].unsqueeze(1);
      states[t] = h;
    }
    directions.push_back(torch::stack(states, 1));
  }
  return torch::cat(directions, 2);  // [B, S, 2H]
}

EncoderOutput RNNSearchImpl::encode(const torch::Tensor& src, const torch::Tensor& src_mask) {
  TORCH_CHECK(src.dim() == 2 && src_mask.sizes() == src.sizes(), "encode expects src and src_mask [B, S]");
  const auto emb = dropout_->forward(src_embed_->forward(src));  // [B, S, E]
  auto annotations = annotate(emb, src_mask);                    // [B, S, 2H]
  EncoderOutput enc{annotations, src_mask, {}};
  enc.extra["keys"] = attention_->project_keys(annotations);  // U_a h_j, once per sentence
  return enc;
}

DecoderState RNNSearchImpl::init_state(const EncoderOutput& enc) {
  const auto mask = enc.mask.unsqueeze(2).to(enc.states.dtype());  // [B, S, 1]
  torch::Tensor summary;
  if (config_.init_state == InitState::mean) {
    summary = (enc.states * mask).sum(1) / mask.sum(1);  // [B, 2H]
  } else {
    summary = enc.states.select(1, 0).slice(1, config_.encoder_hidden);  // backward state at j = 1
  }
  DecoderState state;
  state["s"] = torch::tanh(affine(summary, *init_));
  state["annotations"] = enc.states;
  state["keys"] = enc.extra.at("keys");
  state["mask"] = enc.mask;
  state.per_source = {"annotations", "keys", "mask"};
  return state;
}

torch::Tensor RNNSearchImpl::embedding_gates(const torch::Tensor& emb) {
  return affine(emb, decoder_->weight_ih.narrow(1, 0, config_.embed_dim), decoder_->bias_ih);
}

torch::Tensor RNNSearchImpl::context_weight() const {
  return decoder_->weight_ih.narrow(1, config_.embed_dim, 2 * config_.encoder_hidden);
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> RNNSearchImpl::recur(const torch::Tensor& emb_gates,
                                                                              DecoderState& state,
                                                                              const StepWeights* steps) {
  const auto& prev = state["s"];
  auto [ctx, weights] = attention_->forward(prev, state["keys"], state["annotations"], state["mask"],
                                            steps != nullptr ? &steps->query : nullptr);
  // The GRU cell on [E y; c]: the embedding's gates come precomputed, the context's are added here.
  const auto gi = steps != nullptr ? steps->context(ctx) + emb_gates : affine(ctx, context_weight(), emb_gates);
  const auto gh = steps != nullptr ? steps->hidden(prev) + decoder_->bias_hh
                                   : affine(prev, decoder_->weight_hh, decoder_->bias_hh);
  auto s = gru_gates(gi, gh, prev);
  state["s"] = s;
  return {s, ctx, weights};
}

torch::Tensor RNNSearchImpl::output(const torch::Tensor& s, const torch::Tensor& emb, const torch::Tensor& ctx,
                                    const DecoderState* state) {
  auto t = affine(torch::cat({s, emb, ctx}, -1), *deep_);
  std::vector<int64_t> sizes(t.sizes().begin(), t.sizes().end() - 1);
  sizes.push_back(config_.maxout_dim);
  sizes.push_back(2);
  t = std::get<0>(t.view(sizes).max(-1));  // maxout over pairs
  t = dropout_->forward(t);
  if (state != nullptr && state->output_weight.defined()) return affine(t, state->output_weight, state->output_bias);
  return affine(t, *out_);
}

StepOutput RNNSearchImpl::step(const torch::Tensor& prev_tokens, DecoderState& state) {
  const auto emb = tgt_embed_->forward(prev_tokens);  // [B, E]
  auto [s, ctx, weights] = recur(embedding_gates(emb), state);
  return {output(s, emb, ctx, &state), weights};
}

RNNSearchImpl::Unrolled RNNSearchImpl::unroll(const torch::Tensor& src, const torch::Tensor& src_mask,
                                              const torch::Tensor& emb) {
  DecoderState state = init_state(encode(src, src_mask));
  // The embedding's gates for all steps in one product [B, T, 3D]; unbind, not
  // select, so that backward stacks the steps' gradients once instead of
  // scattering each into a zero tensor of the whole sequence.
  Unrolled u;
  // Only where autograd records: elsewhere the plain products keep their fused biases.
  const bool recording = torch::GradMode::is_enabled();
  const StepWeights steps{StepWeight(context_weight()), StepWeight(decoder_->weight_hh),
                          StepWeight(attention_->query_weight())};
  for (const auto& gates : embedding_gates(emb).unbind(1)) {
    auto [s, ctx, weights] = recur(gates, state, recording ? &steps : nullptr);
    u.states.push_back(s);
    u.contexts.push_back(ctx);
    u.weights.push_back(weights);
  }
  return u;
}

torch::Tensor RNNSearchImpl::forward(const torch::Tensor& src, const torch::Tensor& src_mask,
                                     const torch::Tensor& tgt_in) {
  const auto emb = dropout_->forward(tgt_embed_->forward(tgt_in));  // [B, T, E]
  const auto u = unroll(src, src_mask, emb);
  // The deep output and the vocabulary projection run once over all steps.
  return output(torch::stack(u.states, 1), emb, torch::stack(u.contexts, 1));  // [B, T, V]
}

torch::Tensor RNNSearchImpl::attention(const torch::Tensor& src, const torch::Tensor& src_mask,
                                       const torch::Tensor& tgt_in, const AttentionChoice& choice) {
  check_attention_choice(choice, attention_layers(), attention_heads());
  return torch::stack(unroll(src, src_mask, dropout_->forward(tgt_embed_->forward(tgt_in))).weights, 1);  // [B, T, S]
}

double RNNSearchImpl::forward_macs(int64_t src_len, int64_t tgt_len) const {
  const auto& c = config_;
  const double S = static_cast<double>(src_len), T = static_cast<double>(tgt_len);
  const double V = static_cast<double>(out_->weight.size(0));
  const double E = static_cast<double>(c.embed_dim), h = static_cast<double>(c.encoder_hidden);
  const double s = static_cast<double>(c.decoder_hidden), A = static_cast<double>(c.attention_dim);
  const double m = static_cast<double>(c.maxout_dim), ann = 2 * h;
  return S * (2 * 3 * h * (E + h) + ann * A)                                    // bi-GRU, U_a h_j
         + T * (s * A + 3 * s * (E + ann + s) + (s + E + ann) * 2 * m + m * V)  // W_a s, GRU, deep out, output
         + S * T * (A + ann)                                                    // v_a tanh(.) and contexts
         + (c.init_state == InitState::mean ? ann : h) * s;                     // initial state
}

}  // namespace nmt::model
