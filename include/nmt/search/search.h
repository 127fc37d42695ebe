// Search over the Seq2Seq interface only: it never sees RNN or Transformer types.
// Each search runs on an Ensemble (one model or several); the overloads that
// take a model and its source are that model alone.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include "nmt/common/config.h"
#include "nmt/model/seq2seq.h"
#include "nmt/search/ensemble.h"

namespace nmt::search {

struct Hypothesis {
  std::vector<int64_t> tokens;  ///< without bos and eos
  double score = 0;             ///< log P(tokens, eos | src) / ((5 + len) / 6)^alpha, len counting eos
};

/// Greedy decoding of a batch: for each row, the argmax tokens up to and
/// excluding eos, at most max_len[b] tokens, scored as beam_search scores.
std::vector<Hypothesis> greedy(Ensemble& models, Ensemble::State state, const std::vector<int64_t>& max_len,
                               double alpha = 0);
/// src [B, S], src_mask [B, S].
std::vector<Hypothesis> greedy(model::Seq2Seq& model, const torch::Tensor& src, const torch::Tensor& src_mask,
                               const std::vector<int64_t>& max_len, double alpha = 0);

/// Log-probabilities of the next token from a step's logits [B, V], with pad
/// and bos ruled out: search never emits them.
torch::Tensor next_token_log_probs(const torch::Tensor& logits);

/// GNMT length penalty (Wu et al. 2016): ((5 + length) / 6)^alpha.
double length_penalty(int64_t length, double alpha);

/// Batched beam search. Every sentence keeps `beam` live hypotheses; one that
/// ends in eos among the top `beam` candidates is finished, and a sentence is
/// done once it has `beam` finished ones (or reaches max_len[b] tokens, when
/// its live hypotheses are finished as they stand). Done sentences leave the
/// batch. Returns, per sentence, its best `n_best` hypotheses, best first.
std::vector<std::vector<Hypothesis>> beam_search(Ensemble& models, Ensemble::State state,
                                                 const std::vector<int64_t>& max_len, int64_t beam, double alpha,
                                                 int64_t n_best);
std::vector<std::vector<Hypothesis>> beam_search(model::Seq2Seq& model, const torch::Tensor& src,
                                                 const torch::Tensor& src_mask, const std::vector<int64_t>& max_len,
                                                 int64_t beam, double alpha, int64_t n_best);

/// One token per row of `log_probs` [B, V], drawn from softmax(log_probs /
/// temperature) restricted as `sampling` says, with `generator` (a CPU
/// generator); [B] int64 on the CPU. `sampling` must be enabled.
torch::Tensor sample_tokens(const torch::Tensor& log_probs, const Sampling& sampling, double temperature,
                            at::Generator& generator);

/// Ancestral sampling of a batch: as greedy, but each token is drawn by
/// sample_tokens. Scores are the model's log-probabilities of the drawn
/// tokens (before temperature and restriction), normalised as greedy's.
std::vector<Hypothesis> sample(Ensemble& models, Ensemble::State state, const std::vector<int64_t>& max_len,
                               double alpha, const Sampling& sampling, double temperature, at::Generator& generator);

}  // namespace nmt::search
