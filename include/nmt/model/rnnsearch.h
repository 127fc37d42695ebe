// RNNsearch (Bahdanau, Cho and Bengio 2014, sec. 3 and appendix A):
// a bidirectional GRU encoder, a GRU decoder fed [E y_{i-1}; c_i], additive
// alignment, and a maxout deep output t_i = maxout_2(U_o s_i + V_o E y_{i-1} + C_o c_i).
#pragma once

#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/rnn.h>

#include "nmt/common/config.h"
#include "nmt/model/attention.h"
#include "nmt/model/fused.h"
#include "nmt/model/seq2seq.h"

namespace nmt::model {

class RNNSearchImpl : public Seq2Seq {
 public:
  RNNSearchImpl(const RnnsearchConfig& config, int64_t src_vocab, int64_t tgt_vocab, double dropout);

  EncoderOutput encode(const torch::Tensor& src, const torch::Tensor& src_mask) override;
  DecoderState init_state(const EncoderOutput& enc) override;
  StepOutput step(const torch::Tensor& prev_tokens, DecoderState& state) override;
  std::pair<torch::Tensor, torch::Tensor> output_layer() override { return {out_->weight, out_->bias}; }
  torch::Tensor forward(const torch::Tensor& src, const torch::Tensor& src_mask,
                        const torch::Tensor& tgt_in) override;
  torch::Tensor attention(const torch::Tensor& src, const torch::Tensor& src_mask, const torch::Tensor& tgt_in,
                          const AttentionChoice& choice) override;
  /// The encoder's annotations [B, S, 2H] of right-padded sources, zero on
  /// padding: what the packed bidirectional torch::nn::GRU of encoder_ gives,
  /// run here as one input product per direction and a StepWeight and the
  /// fused gates per step, where LibTorch's packed GRU runs a dozen operations
  /// per step and direction and copies the batch at every change of length.
  torch::Tensor annotate(const torch::Tensor& emb, const torch::Tensor& src_mask);
  /// The same through encoder_ itself, the reference it is tested against.
  torch::Tensor annotate_reference(const torch::Tensor& emb, const torch::Tensor& src_mask);
  int64_t attention_layers() const override { return 1; }
  int64_t attention_heads() const override { return 1; }
  double forward_macs(int64_t src_len, int64_t tgt_len) const override;

 private:
  // The decoder over all of tgt_in: the states, contexts and weights of every step.
  struct Unrolled {
    std::vector<torch::Tensor> states, contexts, weights;
  };
  Unrolled unroll(const torch::Tensor& src, const torch::Tensor& src_mask, const torch::Tensor& emb);
  // W_ih's columns that multiply the context c_i: [3D, 2H].
  torch::Tensor context_weight() const;
  // The embedding's share of the GRU input gates, W_ih[:, :E] E y + b_ih, for any
  // leading shape: [..., 3D]. Teacher forcing computes it for all steps at once.
  torch::Tensor embedding_gates(const torch::Tensor& emb);
  // The weights every decoder step applies, as StepWeights, for training.
  struct StepWeights {
    StepWeight context, hidden, query;  // W_ih's context columns, W_hh, W_a
  };
  // One recurrence step from the embedding's gates [B, 3D]: the new state s_i
  // [B, D], context c_i [B, 2H] and weights [B, S]. `weights`: through them.
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> recur(const torch::Tensor& emb_gates, DecoderState& state,
                                                                const StepWeights* weights = nullptr);
  // Deep output and vocabulary projection, for any leading shape: [..., V], or
  // [..., V'] for the rows of a shortlist (`state`'s output_weight).
  torch::Tensor output(const torch::Tensor& s, const torch::Tensor& emb, const torch::Tensor& ctx,
                       const DecoderState* state = nullptr);

  RnnsearchConfig config_;
  torch::nn::Embedding src_embed_{nullptr};
  torch::nn::Embedding tgt_embed_{nullptr};
  torch::nn::GRU encoder_{nullptr};  // its weights; annotate() runs them
  torch::nn::Linear init_{nullptr};
  AdditiveAttention attention_{nullptr};
  torch::nn::GRUCell decoder_{nullptr};  // its weights; the step runs through gru_gates
  torch::nn::Linear deep_{nullptr};  // [s; E y; c] -> 2 * maxout
  torch::nn::Linear out_{nullptr};   // maxout -> V
  Dropout dropout_{nullptr};
};
TORCH_MODULE(RNNSearch);

}  // namespace nmt::model
