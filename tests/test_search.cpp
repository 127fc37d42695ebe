// Beam search over the Seq2Seq interface, on a tiny random RNNsearch.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "nmt/model/rnnsearch.h"
#include "nmt/search/search.h"
#include "test_util.h"

namespace nmt::search {
namespace {

model::RNNSearch tiny_model() {
  torch::manual_seed(5);
  model::RNNSearch m(test::tiny_rnnsearch(16), 20, 12, 0.0);
  m->eval();
  return m;
}

const torch::Tensor& sources() {
  static const auto src = torch::tensor({{5, 6, 7, 8, 3}, {8, 9, 3, 0, 0}, {10, 3, 0, 0, 0}, {4, 4, 4, 4, 3}});
  return src;
}

TEST(BeamSearch, BeamOneEqualsGreedy) {
  auto m = tiny_model();
  const auto& src = sources();
  const std::vector<int64_t> max_len = {8, 2, 12, 0};
  for (const double alpha : {0.0, 0.6}) {
    const auto g = greedy(*m, src, src.ne(0), max_len, alpha);
    const auto b = beam_search(*m, src, src.ne(0), max_len, 1, alpha, 1);
    ASSERT_EQ(b.size(), g.size());
    for (std::size_t i = 0; i < g.size(); ++i) {
      ASSERT_EQ(b[i].size(), 1u);
      EXPECT_EQ(b[i][0].tokens, g[i].tokens) << "sentence " << i;
      EXPECT_NEAR(b[i][0].score, g[i].score, 1e-5) << "sentence " << i;
    }
  }
}

TEST(BeamSearch, BatchedEqualsOneSentenceAtATime) {
  auto m = tiny_model();
  const auto& src = sources();
  const std::vector<int64_t> max_len = {9, 6, 7, 9};
  const auto all = beam_search(*m, src, src.ne(0), max_len, 4, 0.6, 3);
  for (int64_t i = 0; i < src.size(0); ++i) {
    auto row = src.slice(0, i, i + 1);
    const int64_t real = row.ne(0).sum().item<int64_t>();
    row = row.slice(1, 0, real);
    const auto one = beam_search(*m, row, row.ne(0), {max_len[static_cast<std::size_t>(i)]}, 4, 0.6, 3);
    ASSERT_EQ(one[0].size(), all[static_cast<std::size_t>(i)].size());
    for (std::size_t k = 0; k < one[0].size(); ++k) {
      EXPECT_EQ(one[0][k].tokens, all[static_cast<std::size_t>(i)][k].tokens);
      EXPECT_NEAR(one[0][k].score, all[static_cast<std::size_t>(i)][k].score, 1e-4);
    }
  }
}

// Scores a given output under the model: log P(tokens, eos) by teacher forcing.
double log_prob(model::RNNSearchImpl& m, const torch::Tensor& src, const std::vector<int64_t>& tokens, bool eos) {
  std::vector<int64_t> in = {2};
  in.insert(in.end(), tokens.begin(), tokens.end());
  std::vector<int64_t> out = tokens;
  if (eos) out.push_back(3);
  else in.pop_back();
  torch::NoGradGuard no_grad;
  const auto lp = torch::log_softmax(m.forward(src, src.ne(0), torch::tensor(in).unsqueeze(0)), -1)[0];
  double total = 0;
  for (std::size_t t = 0; t < out.size(); ++t) total += lp[static_cast<int64_t>(t)][out[t]].item<double>();
  return total;
}

TEST(BeamSearch, NBestIsSortedDistinctAndScoredByTheModel) {
  auto m = tiny_model();
  const auto src = sources().slice(0, 0, 1);
  const int64_t limit = 6;
  const double alpha = 0.6;
  const auto hyps = beam_search(*m, src, src.ne(0), {limit}, 5, alpha, 5)[0];
  ASSERT_EQ(hyps.size(), 5u);
  for (std::size_t k = 0; k < hyps.size(); ++k) {
    if (k > 0) {
      EXPECT_GE(hyps[k - 1].score, hyps[k].score);
    }
    for (std::size_t j = 0; j < k; ++j) EXPECT_NE(hyps[j].tokens, hyps[k].tokens);
    const auto& tokens = hyps[k].tokens;
    ASSERT_LE(static_cast<int64_t>(tokens.size()), limit);
    // A hypothesis that hit the length limit ended without eos.
    const bool eos = static_cast<int64_t>(tokens.size()) < limit;
    const auto length = static_cast<int64_t>(tokens.size()) + 1;
    EXPECT_NEAR(hyps[k].score, log_prob(*m, src, tokens, eos) / length_penalty(length, alpha), 1e-4);
  }
}

TEST(BeamSearch, WiderBeamScoresAtLeastAsWellWithoutLengthPenalty) {
  // Exhaustive check on a vocabulary of 12 and two steps: beam 12 x 12 covers
  // every two-token prefix, so it finds the best output of length <= 2.
  auto m = tiny_model();
  const auto src = sources().slice(0, 1, 2);
  const auto best = beam_search(*m, src, src.ne(0), {2}, 12, 0.0, 1)[0][0];
  double brute = -1e30;
  // Search never emits pad (0) or bos (2); eos (3) only ends an output.
  const std::vector<int64_t> words = {1, 4, 5, 6, 7, 8, 9, 10, 11};
  for (const int64_t a : words) {
    brute = std::max(brute, log_prob(*m, src, {a}, true));
    for (const int64_t b : words) brute = std::max(brute, log_prob(*m, src, {a, b}, false));
  }
  brute = std::max(brute, log_prob(*m, src, {}, true));
  EXPECT_NEAR(best.score, brute, 1e-4);
}

}  // namespace
}  // namespace nmt::search
