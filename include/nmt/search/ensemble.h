// Models searched as one: at every step their next-token distributions are
// combined, so greedy search, beam search, n-best lists and sampling all work
// on an ensemble as on a single model.
#pragma once

#include <cstddef>
#include <vector>

#include <torch/types.h>

#include "nmt/model/seq2seq.h"

namespace nmt::search {

class Ensemble {
 public:
  /// The members' decoder states, whose rows are selected together.
  struct State {
    std::vector<model::DecoderState> members;
    /// With a shortlist (restrict()): the target id of each column of step()'s
    /// log-probabilities, [V'] int64 on the CPU. Undefined: column i is id i.
    torch::Tensor vocab;

    void select(const torch::Tensor& indices, bool same_sources = false) {
      for (auto& m : members) m.select(indices, same_sources);
    }
    /// The target ids of step()'s columns `columns` ([R] int64 on the CPU).
    torch::Tensor ids(const torch::Tensor& columns) const {
      return vocab.defined() ? vocab.index_select(0, columns) : columns;
    }
  };

  /// One model: steps give its own log-probabilities, unchanged.
  explicit Ensemble(model::Seq2Seq& model) : Ensemble({&model}, {1.0}) {}
  /// `weights`, one per model, each >= 0 and summing to a positive number, are
  /// normalised to sum to 1. The models must share the target vocabulary and
  /// lie on one device; their source vocabularies may differ.
  Ensemble(std::vector<model::Seq2Seq*> models, std::vector<double> weights);

  std::size_t size() const { return models_.size(); }
  const std::vector<double>& weights() const { return weights_; }
  torch::Device device() const { return device_; }

  /// Encodes member i's source src[i] [B, S_i] (ids of its own source
  /// vocabulary), masked by src_mask[i]; the B rows are the same sentences.
  State start(const std::vector<torch::Tensor>& src, const std::vector<torch::Tensor>& src_mask);
  /// Every member reads the same source.
  State start(const torch::Tensor& src, const torch::Tensor& src_mask);

  /// Keeps the search of `state` to target ids `vocab` ([V'] int64, ascending,
  /// without pad and bos; a Shortlist's candidates): from here on step() gives
  /// log-probabilities over them alone, normalised among them, as Marian's and
  /// CTranslate2's shortlists do, and each member scores only their rows of its
  /// output layer.
  void restrict(State& state, const torch::Tensor& vocab) const;

  /// Log-probabilities [B, V] of the token after `prev` [B], pad and bos ruled
  /// out (or [B, V'] over a restrict()ed vocabulary), and advances `state`. With several members: the weighted mean of
  /// their log-probabilities, a log-linear combination as Marian's ensembles
  /// score (sampling normalises it; search needs no normalisation).
  torch::Tensor step(const torch::Tensor& prev, State& state);

 private:
  std::vector<model::Seq2Seq*> models_;
  std::vector<double> weights_;
  torch::Device device_ = torch::kCPU;
};

}  // namespace nmt::search
