// The interface search and training use; RNNsearch and the Transformer implement it.
#pragma once

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include <torch/nn/module.h>
#include <torch/types.h>

namespace nmt::model {

struct EncoderOutput {
  torch::Tensor states;  // [B, S, H]
  torch::Tensor mask;    // [B, S] bool, true on real tokens
  std::map<std::string, torch::Tensor> extra;  // model-specific, computed once per sentence
};

/// Decoder state: named tensors whose first dimension is the batch (or beam) row.
class DecoderState {
 public:
  std::map<std::string, torch::Tensor> tensors;
  /// Names of the tensors that depend only on the source sentence (encoder
  /// states, attention keys and values, masks): equal in every beam of a sentence.
  std::set<std::string> per_source;
  /// The rows of the output layer that step() scores, when search keeps to a
  /// shortlist of target tokens (search::Shortlist): weight [V', H] and bias
  /// [V'] (or undefined). Undefined: step() scores the whole vocabulary.
  torch::Tensor output_weight, output_bias;

  torch::Tensor& operator[](const std::string& name) { return tensors[name]; }
  /// Keeps rows `indices` ([N] int64) of every tensor, e.g. to reorder beams.
  /// With `same_sources`, row i of the result comes from a row of the same
  /// sentence as row i before (beams reordered among themselves), so the
  /// per-source tensors already hold the right rows and are not copied.
  void select(const torch::Tensor& indices, bool same_sources = false) {
    for (auto& [name, t] : tensors) {
      if (!(same_sources && per_source.count(name) > 0)) t = t.index_select(0, indices);
    }
  }
};

/// Which of a model's attention distributions over the source to report: a
/// decoder layer and head of the Transformer's cross-attention, or (-1) the
/// mean over all of them. RNNsearch has one layer of one head.
struct AttentionChoice {
  int64_t layer = -1;
  int64_t head = -1;
};

/// A std::out_of_range naming the layer or head of `choice` that a model of
/// `layers` layers of `heads` heads does not have: "layer 5 is out of range:
/// the model's attention layers are 0 to 1".
inline void check_attention_choice(const AttentionChoice& choice, int64_t layers, int64_t heads) {
  const auto check = [](const char* what, int64_t value, int64_t count) {
    if (value == -1 || (value >= 0 && value < count)) return;
    throw std::out_of_range(std::string(what) + " " + std::to_string(value) + " is out of range: the model's " + what +
                            "s are 0 to " + std::to_string(count - 1));
  };
  check("layer", choice.layer, layers);
  check("head", choice.head, heads);
}

struct StepOutput {
  torch::Tensor logits;     // [B, V]
  torch::Tensor attention;  // [B, S]
};

class Seq2Seq : public torch::nn::Module {
 public:
  /// src [B, S] int64, src_mask [B, S] bool.
  virtual EncoderOutput encode(const torch::Tensor& src, const torch::Tensor& src_mask) = 0;
  virtual DecoderState init_state(const EncoderOutput& enc) = 0;
  /// One decoding step from the previous tokens [B]; updates `state`.
  virtual StepOutput step(const torch::Tensor& prev_tokens, DecoderState& state) = 0;
  /// The output layer, which makes the logits of the last hidden layer: weight
  /// [V, H] and bias [V] (undefined where it has none).
  virtual std::pair<torch::Tensor, torch::Tensor> output_layer() = 0;
  /// Teacher forcing: logits [B, T, V] for tgt_in [B, T].
  virtual torch::Tensor forward(const torch::Tensor& src, const torch::Tensor& src_mask,
                                const torch::Tensor& tgt_in) = 0;
  /// Teacher forcing: the attention over the source that produced each target
  /// position, [B, T, S], each row summing to 1 over the real source tokens
  /// and exactly 0 on padding. An AttentionChoice out of attention_layers()
  /// or attention_heads() is a std::out_of_range.
  virtual torch::Tensor attention(const torch::Tensor& src, const torch::Tensor& src_mask,
                                  const torch::Tensor& tgt_in, const AttentionChoice& choice) = 0;
  virtual int64_t attention_layers() const = 0;
  virtual int64_t attention_heads() const = 0;
  /// Multiply-adds of the matrix products in forward() for one sentence pair
  /// of `src_len` source and `tgt_len` target positions (real tokens, eos
  /// included), counted as the PyTorch peer counts them (../shared/peers/README.md):
  /// a training step costs 6 times this in FLOPs. Embedding lookups are not products.
  virtual double forward_macs(int64_t src_len, int64_t tgt_len) const = 0;
};

}  // namespace nmt::model
