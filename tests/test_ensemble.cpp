// Ensembles: several models searched as one, across model families.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "nmt/model/rnnsearch.h"
#include "nmt/model/transformer.h"
#include "nmt/search/ensemble.h"
#include "nmt/search/search.h"
#include "test_util.h"

namespace nmt::search {
namespace {

constexpr int64_t kTgtVocab = 14;

model::RNNSearch rnnsearch(int64_t src_vocab = 20) {
  torch::manual_seed(5);
  model::RNNSearch m(test::tiny_rnnsearch(16), src_vocab, kTgtVocab, 0.0);
  m->eval();
  return m;
}

model::Transformer transformer(int64_t src_vocab = 20) {
  torch::manual_seed(9);
  model::Transformer m(test::tiny_transformer(), src_vocab, kTgtVocab, 0.0);
  m->eval();
  return m;
}

const torch::Tensor& sources() {
  static const auto src = torch::tensor({{5, 6, 7, 8, 3}, {8, 9, 3, 0, 0}, {10, 3, 0, 0, 0}, {4, 4, 4, 4, 3}});
  return src;
}

const std::vector<int64_t> kMaxLen = {8, 3, 10, 6};

void expect_same(const std::vector<Hypothesis>& a, const std::vector<Hypothesis>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].tokens, b[i].tokens) << "sentence " << i;
    EXPECT_NEAR(a[i].score, b[i].score, 1e-5) << "sentence " << i;
  }
}

TEST(Ensemble, OfAModelWithItselfGivesItsTranslationsAndScores) {
  auto r = rnnsearch();
  auto t = transformer();
  const auto& src = sources();
  for (model::Seq2Seq* m : {static_cast<model::Seq2Seq*>(r.get()), static_cast<model::Seq2Seq*>(t.get())}) {
    Ensemble twice({m, m}, {0.5, 0.5});
    expect_same(greedy(twice, twice.start(src, src.ne(0)), kMaxLen, 0.6), greedy(*m, src, src.ne(0), kMaxLen, 0.6));
    const auto alone = beam_search(*m, src, src.ne(0), kMaxLen, 4, 0.6, 3);
    const auto both = beam_search(twice, twice.start(src, src.ne(0)), kMaxLen, 4, 0.6, 3);
    ASSERT_EQ(both.size(), alone.size());
    for (std::size_t i = 0; i < alone.size(); ++i) expect_same(both[i], alone[i]);
  }
}

TEST(Ensemble, StepIsTheWeightedMeanOfTheMembersLogProbabilities) {
  // An RNNsearch and a Transformer with different source vocabularies, so
  // each reads its own source; the target vocabulary is shared.
  auto r = rnnsearch(20);
  auto t = transformer(31);
  const auto& src_r = sources();
  const auto src_t = torch::tensor({{25, 30, 3, 0}, {11, 12, 13, 3}, {29, 3, 0, 0}, {7, 3, 0, 0}});
  Ensemble both({r.get(), t.get()}, {3.0, 1.0});  // normalised to 0.75, 0.25
  EXPECT_DOUBLE_EQ(both.weights()[0], 0.75);
  auto state = both.start({src_r, src_t}, {src_r.ne(0), src_t.ne(0)});
  auto state_r = r->init_state(r->encode(src_r, src_r.ne(0)));
  auto state_t = t->init_state(t->encode(src_t, src_t.ne(0)));
  auto prev = torch::full({4}, 2, torch::kLong);  // bos
  for (int step = 0; step < 4; ++step) {
    const auto got = both.step(prev, state);
    const auto lp_r = next_token_log_probs(r->step(prev, state_r).logits);
    const auto lp_t = next_token_log_probs(t->step(prev, state_t).logits);
    ASSERT_TRUE(torch::allclose(got, 0.75 * lp_r + 0.25 * lp_t, 1e-5, 1e-5)) << "step " << step;
    prev = got.argmax(-1);
  }
}

TEST(Ensemble, BeamOneEqualsGreedyAcrossFamilies) {
  auto r = rnnsearch();
  auto t = transformer();
  Ensemble both({r.get(), t.get()}, {0.5, 0.5});
  const auto& src = sources();
  const auto g = greedy(both, both.start(src, src.ne(0)), kMaxLen, 0.6);
  const auto b = beam_search(both, both.start(src, src.ne(0)), kMaxLen, 1, 0.6, 1);
  ASSERT_EQ(b.size(), g.size());
  for (std::size_t i = 0; i < g.size(); ++i) expect_same(b[i], {g[i]});
}

TEST(Ensemble, AMemberWithWeightZeroHasNoSay) {
  auto r = rnnsearch();
  auto t = transformer();
  Ensemble only_r({r.get(), t.get()}, {2.0, 0.0});
  const auto& src = sources();
  expect_same(greedy(only_r, only_r.start(src, src.ne(0)), kMaxLen), greedy(*r, src, src.ne(0), kMaxLen));
}

TEST(Ensemble, RefusesWeightsThatDoNotFit) {
  auto r = rnnsearch();
  EXPECT_THROW(Ensemble({r.get()}, {}), c10::Error);
  EXPECT_THROW(Ensemble({r.get(), r.get()}, {0.0, 0.0}), c10::Error);
  EXPECT_THROW(Ensemble({r.get(), r.get()}, {1.0, -0.5}), c10::Error);
}

}  // namespace
}  // namespace nmt::search
