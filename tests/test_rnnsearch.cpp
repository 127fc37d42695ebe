#include <gtest/gtest.h>

#include <torch/torch.h>

#include "nmt/common/error.h"
#include "nmt/model/factory.h"
#include "nmt/model/rnnsearch.h"
#include "nmt/model/transformer.h"
#include "nmt/search/search.h"
#include "test_util.h"

namespace nmt::model {
namespace {

RNNSearch tiny(InitState init = InitState::mean) {
  torch::manual_seed(3);
  RnnsearchConfig c = test::tiny_rnnsearch();
  c.init_state = init;
  RNNSearch m(c, 20, 23, 0.0);
  m->eval();
  return m;
}

TEST(RNNSearch, StepByStepEqualsTeacherForcing) {
  for (const InitState init : {InitState::mean, InitState::backward}) {
    auto m = tiny(init);
    torch::NoGradGuard no_grad;
    const auto src = torch::tensor({{5, 6, 7, 3}, {8, 3, 0, 0}});
    const auto mask = src.ne(0);
    const auto tgt = torch::tensor({{2, 9, 10, 11}, {2, 12, 0, 0}});
    const auto full = m->forward(src, mask, tgt);  // [2, 4, 23]
    ASSERT_EQ(full.sizes(), (std::vector<int64_t>{2, 4, 23}));
    auto state = m->init_state(m->encode(src, mask));
    for (int64_t i = 0; i < 4; ++i) {
      const auto out = m->step(tgt.select(1, i), state);
      EXPECT_TRUE(torch::allclose(out.logits, full.select(1, i), 1e-5, 1e-6)) << name_of(init) << " step " << i;
      EXPECT_TRUE(torch::allclose(out.attention.sum(1), torch::ones({2})));
      EXPECT_EQ(out.attention[1].slice(0, 2).abs().max().item<float>(), 0.0f);  // padding
    }
  }
}

TEST(RNNSearch, TeacherForcingGradientsEqualThoseOfTheSteps) {
  // forward() forms the per-step weights' gradients once over all steps
  // (StepWeight); step() runs plain products: the gradients must agree.
  auto m = tiny();
  const auto src = torch::tensor({{5, 6, 7, 3}, {8, 3, 0, 0}});
  const auto mask = src.ne(0);
  const auto tgt = torch::tensor({{2, 9, 10, 11, 12}, {2, 12, 13, 0, 0}});
  const auto upstream = torch::randn({2, 5, 23});
  const auto gradients = [&](const torch::Tensor& logits) {
    for (auto& p : m->parameters()) p.mutable_grad().reset();
    (logits * upstream).sum().backward();
    std::map<std::string, torch::Tensor> g;
    for (const auto& item : m->named_parameters()) g[item.key()] = item.value().grad().clone();
    return g;
  };
  const auto whole = gradients(m->forward(src, mask, tgt));
  auto state = m->init_state(m->encode(src, mask));
  std::vector<torch::Tensor> steps;
  for (int64_t i = 0; i < tgt.size(1); ++i) steps.push_back(m->step(tgt.select(1, i), state).logits);
  const auto stepwise = gradients(torch::stack(steps, 1));
  ASSERT_EQ(whole.size(), stepwise.size());
  for (const auto& [name, g] : whole) {
    EXPECT_TRUE(torch::allclose(g, stepwise.at(name), 1e-4, 1e-6)) << name;
  }
}

TEST(RNNSearch, EncoderEqualsThePackedGruInValueAndGradient) {
  // annotate() runs encoder_'s weights step by step with the state zeroed on
  // padding; LibTorch's packed GRU is the reference, lengths 5, 2 and 4 here.
  auto m = tiny();
  m->train();
  torch::manual_seed(8);
  const auto mask = torch::tensor({{1, 1, 1, 1, 1}, {1, 1, 0, 0, 0}, {1, 1, 1, 1, 0}}).to(torch::kBool);
  const auto emb = (torch::randn({3, 5, test::tiny_rnnsearch().embed_dim}) * mask.unsqueeze(2)).requires_grad_();
  const auto upstream = torch::randn({3, 5, 2 * test::tiny_rnnsearch().encoder_hidden});
  const auto run = [&](bool reference) {
    for (auto& p : m->parameters()) p.mutable_grad().reset();
    emb.mutable_grad().reset();
    const auto out = reference ? m->annotate_reference(emb, mask) : m->annotate(emb, mask);
    (out * upstream).sum().backward();
    std::map<std::string, torch::Tensor> g{{"annotations", out.detach()}, {"d emb", emb.grad().clone()}};
    for (const auto& item : m->named_parameters()) {
      if (item.value().grad().defined()) g[item.key()] = item.value().grad().clone();
    }
    return g;
  };
  const auto got = run(false), expected = run(true);
  ASSERT_EQ(got.size(), expected.size());
  ASSERT_EQ(got.size(), 2u + 8u);  // the annotations, d emb and the encoder's 8 weights
  for (const auto& [name, value] : expected) {
    EXPECT_TRUE(torch::allclose(got.at(name), value, 1e-5, 1e-6)) << name;
  }
  EXPECT_EQ(got.at("annotations")[1].slice(0, 2).abs().max().item<float>(), 0.0f);  // zero on padding
}

TEST(RNNSearch, SourcePaddingChangesNothing) {
  auto m = tiny();
  torch::NoGradGuard no_grad;
  const auto tgt = torch::tensor({{2, 9, 10}});
  const auto a = m->forward(torch::tensor({{5, 6, 3}}), torch::tensor({{true, true, true}}), tgt);
  const auto src = torch::tensor({{5, 6, 3, 0, 0}});
  const auto b = m->forward(src, src.ne(0), tgt);
  EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-6));
}

TEST(RNNSearch, SelectReordersTheState) {
  auto m = tiny();
  torch::NoGradGuard no_grad;
  const auto src = torch::tensor({{5, 6, 3}, {7, 3, 0}});
  auto state = m->init_state(m->encode(src, src.ne(0)));
  auto swapped = state;
  swapped.select(torch::tensor({1, 0}));
  const auto a = m->step(torch::tensor({2, 2}), state);
  const auto b = m->step(torch::tensor({2, 2}), swapped);
  EXPECT_TRUE(torch::allclose(a.logits[0], b.logits[1]));
  EXPECT_TRUE(torch::allclose(a.logits[1], b.logits[0]));

  // Beams of one sentence reordered among themselves: the source side is not copied.
  auto beams = m->init_state(m->encode(src.index_select(0, torch::tensor({0, 0})), torch::ones({2, 3}, torch::kBool)));
  const auto keys = beams["keys"].data_ptr<float>();
  const auto s_before = beams["s"];
  beams.select(torch::tensor({1, 0}), /*same_sources=*/true);
  EXPECT_EQ(beams["keys"].data_ptr<float>(), keys);
  EXPECT_NE(beams["s"].data_ptr<float>(), s_before.data_ptr<float>());
  EXPECT_EQ(beams.per_source, (std::set<std::string>{"annotations", "keys", "mask"}));
}

TEST(ModelFactory, BuildsTheConfiguredFamily) {
  Config c;
  c.model.rnnsearch = test::tiny_rnnsearch();
  const auto m = make_model(c, 20, 23);
  ASSERT_NE(std::dynamic_pointer_cast<RNNSearchImpl>(m), nullptr);
  const auto src = torch::tensor({{5, 3}});
  EXPECT_EQ(m->forward(src, src.ne(0), torch::tensor({{2, 7, 8}})).sizes(), (std::vector<int64_t>{1, 3, 23}));
  c.model.type = ModelType::transformer;
  c.model.transformer = test::tiny_transformer();
  const auto t = make_model(c, 20, 23);
  ASSERT_NE(std::dynamic_pointer_cast<TransformerImpl>(t), nullptr);
  EXPECT_EQ(t->forward(src, src.ne(0), torch::tensor({{2, 7, 8}})).sizes(), (std::vector<int64_t>{1, 3, 23}));
}

TEST(GreedySearch, RespectsLengthLimitsAndEqualsStepwiseArgmax) {
  auto m = tiny();
  const auto src = torch::tensor({{5, 6, 7, 3}, {8, 3, 0, 0}, {9, 3, 0, 0}});
  const auto out = search::greedy(*m, src, src.ne(0), {0, 3, 5});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].tokens.empty());
  EXPECT_LE(out[1].tokens.size(), 3u);
  EXPECT_LE(out[2].tokens.size(), 5u);
  // Sentence 2 alone, argmax step by step, gives the same tokens.
  torch::NoGradGuard no_grad;
  const auto one = src.slice(0, 2, 3);
  auto state = m->init_state(m->encode(one, one.ne(0)));
  auto prev = torch::tensor({int64_t{2}});
  std::vector<int64_t> expected;
  for (int t = 0; t < 5; ++t) {
    prev = m->step(prev, state).logits.argmax(-1);
    if (prev.item<int64_t>() == 3) break;
    expected.push_back(prev.item<int64_t>());
  }
  EXPECT_EQ(out[2].tokens, expected);
}

}  // namespace
}  // namespace nmt::model
