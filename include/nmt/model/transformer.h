// The Transformer (Vaswani et al. 2017): an encoder and a decoder of layers that
// each wrap self-attention, cross-attention (decoder) and a ReLU feed-forward
// block in residual connections with layer norm, after the sublayer as in the
// paper or before it (`pre_norm`). Sinusoidal positions, embeddings scaled by
// sqrt(d_model), and one embedding for source, target and output when tied.
//
// Incremental decoding keeps, per decoder layer, the self-attention keys and
// values of the steps so far ("self_k<l>", "self_v<l>" [B, H, t, Dh]) and the
// cross-attention keys and values of the source ("cross_k<l>", "cross_v<l>"
// [B, H, S, Dh]), computed once in init_state. All live in the DecoderState,
// so DecoderState::select reorders them for beam search.
#pragma once

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "nmt/common/config.h"
#include "nmt/model/attention.h"
#include "nmt/model/fused.h"
#include "nmt/model/seq2seq.h"

namespace nmt::model {

/// The position-wise feed-forward block: W_2 dropout(relu(W_1 x)).
class FeedForwardImpl : public torch::nn::Module {
 public:
  FeedForwardImpl(int64_t d_model, int64_t ff_dim, double activation_dropout);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
  Dropout dropout_{nullptr};
};
TORCH_MODULE(FeedForward);

/// One residual sublayer: post-norm LN(x + drop(f(x))) or pre-norm x + drop(f(LN(x))).
class ResidualImpl : public torch::nn::Module {
 public:
  ResidualImpl(int64_t d_model, bool pre_norm, double dropout);
  /// `sublayer` maps the (normed) input [B, T, D] to [B, T, D].
  template <class F>
  torch::Tensor forward(const torch::Tensor& x, F&& sublayer) {
    if (pre_norm_) return x + dropout_->forward(sublayer(norm_->forward(x)));
    return norm_->forward(x + dropout_->forward(sublayer(x)));
  }

 private:
  bool pre_norm_;
  torch::nn::LayerNorm norm_{nullptr};
  Dropout dropout_{nullptr};
};
TORCH_MODULE(Residual);

class EncoderLayerImpl : public torch::nn::Module {
 public:
  EncoderLayerImpl(const TransformerConfig& c, double dropout);
  /// x [B, S, D], mask [B, S] bool.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);

 private:
  MultiHeadAttention self_attention_{nullptr};
  FeedForward feed_forward_{nullptr};
  Residual attention_block_{nullptr}, feed_forward_block_{nullptr};
};
TORCH_MODULE(EncoderLayer);

class DecoderLayerImpl : public torch::nn::Module {
 public:
  DecoderLayerImpl(const TransformerConfig& c, double dropout);
  /// Teacher forcing: y [B, T, D] with a causal mask over itself, cross-attending
  /// to keys and values [B, H, S, Dh] under src_mask [B, S]. Given
  /// `cross_weights`, also sets it to the cross-attention weights [B, H, T, S].
  torch::Tensor forward(const torch::Tensor& y, const torch::Tensor& cross_k, const torch::Tensor& cross_v,
                        const torch::Tensor& src_mask, torch::Tensor* cross_weights = nullptr);
  /// One step: y [B, 1, D]; appends this step's keys and values to self_k and self_v.
  torch::Tensor step(const torch::Tensor& y, torch::Tensor& self_k, torch::Tensor& self_v,
                     const torch::Tensor& cross_k, const torch::Tensor& cross_v, const torch::Tensor& src_mask);

  MultiHeadAttention cross_attention{nullptr};  // its keys_values() serves init_state

 private:
  torch::Tensor cross_and_feed_forward(const torch::Tensor& y, const torch::Tensor& cross_k,
                                       const torch::Tensor& cross_v, const torch::Tensor& src_mask,
                                       torch::Tensor* cross_weights = nullptr);

  MultiHeadAttention self_attention_{nullptr};
  FeedForward feed_forward_{nullptr};
  Residual self_block_{nullptr}, cross_block_{nullptr}, feed_forward_block_{nullptr};
};
TORCH_MODULE(DecoderLayer);

class TransformerImpl : public Seq2Seq {
 public:
  TransformerImpl(const TransformerConfig& config, int64_t src_vocab, int64_t tgt_vocab, double dropout);

  EncoderOutput encode(const torch::Tensor& src, const torch::Tensor& src_mask) override;
  DecoderState init_state(const EncoderOutput& enc) override;
  /// StepOutput::attention is left undefined: the fused kernels do not return weights.
  StepOutput step(const torch::Tensor& prev_tokens, DecoderState& state) override;
  std::pair<torch::Tensor, torch::Tensor> output_layer() override;
  torch::Tensor forward(const torch::Tensor& src, const torch::Tensor& src_mask,
                        const torch::Tensor& tgt_in) override;
  torch::Tensor attention(const torch::Tensor& src, const torch::Tensor& src_mask, const torch::Tensor& tgt_in,
                          const AttentionChoice& choice) override;
  int64_t attention_layers() const override { return config_.decoder_layers; }
  int64_t attention_heads() const override { return config_.heads; }
  double forward_macs(int64_t src_len, int64_t tgt_len) const override;

 private:
  // The decoder's last layer output [B, T, D] for tgt_in, and with
  // `cross_weights`, each layer's cross-attention weights [B, H, T, S].
  torch::Tensor decode(const torch::Tensor& src, const torch::Tensor& src_mask, const torch::Tensor& tgt_in,
                       std::vector<torch::Tensor>* cross_weights = nullptr);
  // Scaled embeddings plus sinusoidal positions offset.. offset + T: [B, T, D].
  torch::Tensor embed(torch::nn::Embedding table, const torch::Tensor& tokens, int64_t offset);
  // Final norm (pre-norm) and projection: [..., V], or [..., V'] for the rows
  // of a shortlist (`state`'s output_weight).
  torch::Tensor logits(const torch::Tensor& y, const DecoderState* state = nullptr);
  // Per decoder layer, the cross-attention keys and values of the encoder states.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> cross_keys_values(const torch::Tensor& states);

  TransformerConfig config_;
  torch::Tensor positions_;  // [P, D] sinusoids, grown on demand; not a parameter
  torch::nn::Embedding src_embed_{nullptr}, tgt_embed_{nullptr};
  torch::nn::Linear out_{nullptr};  // only without tying
  torch::nn::ModuleList encoder_{nullptr}, decoder_{nullptr};
  torch::nn::LayerNorm encoder_norm_{nullptr}, decoder_norm_{nullptr};  // only with pre-norm
  Dropout dropout_{nullptr};
};
TORCH_MODULE(Transformer);

}  // namespace nmt::model
