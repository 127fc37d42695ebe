// The Transformer and its attention: masks, causality, padding, and cached
// incremental decoding against full recomputation.
#include <gtest/gtest.h>

#include <torch/torch.h>
#include <torch/version.h>

#include "nmt/model/attention.h"
#include "nmt/model/transformer.h"
#include "nmt/search/search.h"
#include "test_util.h"

namespace nmt::model {
namespace {

Transformer tiny(bool pre_norm = false, uint64_t seed = 3) {
  torch::manual_seed(seed);
  Transformer m(test::tiny_transformer(pre_norm), 20, 23, 0.0);
  m->eval();
  return m;
}

const torch::Tensor& sources() {
  static const auto src = torch::tensor({{5, 6, 7, 8, 3}, {8, 9, 3, 0, 0}, {10, 3, 0, 0, 0}});
  return src;
}

const torch::Tensor& targets() {
  static const auto tgt = torch::tensor({{2, 9, 10, 11, 12, 13}, {2, 14, 15, 0, 0, 0}, {2, 16, 17, 18, 0, 0}});
  return tgt;
}

TEST(ScaledDotProduct, MaskedKeysAndFutureKeysChangeNothing) {
  torch::manual_seed(0);
  const auto q = torch::randn({2, 3, 5, 4}), k = torch::randn({2, 3, 5, 4}), v = torch::randn({2, 3, 5, 4});
  const auto mask = torch::tensor({{1, 1, 1, 0, 0}, {1, 1, 1, 1, 1}}).to(torch::kBool);
  const auto out = reference_attention(q, k, v, mask, false);
  auto k2 = k.clone(), v2 = v.clone();
  k2.index_put_({0, torch::indexing::Slice(), torch::indexing::Slice(3)}, 100.0);
  v2.index_put_({0, torch::indexing::Slice(), torch::indexing::Slice(3)}, -7.0);
  EXPECT_TRUE(torch::equal(out, reference_attention(q, k2, v2, mask, false)));

  const auto causal = reference_attention(q, k, v, torch::Tensor(), true);
  k2 = k.clone();
  v2 = v.clone();
  k2.select(2, 3).fill_(50.0);
  v2.select(2, 3).fill_(-3.0);
  const auto changed = reference_attention(q, k2, v2, torch::Tensor(), true);
  EXPECT_TRUE(torch::equal(causal.slice(2, 0, 3), changed.slice(2, 0, 3)));
  EXPECT_FALSE(torch::allclose(causal.slice(2, 3), changed.slice(2, 3)));
  // The first query sees only the first key: its output is the first value.
  EXPECT_TRUE(torch::allclose(causal.select(2, 0), v.select(2, 0)));
}

// The path the model takes gives the reference's values: LibTorch 2's fused
// at::scaled_dot_product_attention, and its gradients too; on 1.13, nmt's own
// inference kernel without autograd (with autograd, 1.13 takes the reference).
TEST(ScaledDotProduct, FusedAgreesWithReference) {
  torch::manual_seed(1);
  const auto q = torch::randn({2, 3, 6, 8}), k = torch::randn({2, 3, 6, 8}), v = torch::randn({2, 3, 6, 8});
  const auto mask = torch::tensor({{1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1}}).to(torch::kBool);
  const auto upstream = torch::randn({2, 3, 6, 8});
  for (const bool causal : {false, true}) {
    for (const bool masked : {false, true}) {
      const auto m = masked ? mask : torch::Tensor();
      const auto expected = reference_attention(q, k, v, m, causal);
      {
        torch::NoGradGuard no_grad;
        EXPECT_TRUE(torch::allclose(scaled_dot_product_attention(q, k, v, m, causal), expected, 1e-5, 1e-5))
            << "inference, causal " << causal << " masked " << masked;
      }
#if TORCH_VERSION_MAJOR >= 2
      std::vector<torch::Tensor> grads[2];
      torch::Tensor values[2];
      for (int fused = 0; fused < 2; ++fused) {
        auto qg = q.clone().requires_grad_(), kg = k.clone().requires_grad_(), vg = v.clone().requires_grad_();
        values[fused] = fused ? scaled_dot_product_attention(qg, kg, vg, m, causal)
                              : reference_attention(qg, kg, vg, m, causal);
        values[fused].backward(upstream);
        grads[fused] = {qg.grad(), kg.grad(), vg.grad()};
      }
      EXPECT_TRUE(torch::allclose(values[1], values[0], 1e-5, 1e-5)) << "training, causal " << causal << " masked " << masked;
      for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(torch::allclose(grads[1][i], grads[0][i], 1e-5, 1e-5))
            << "gradient of " << "qkv"[i] << ", causal " << causal << " masked " << masked;
      }
#endif
    }
  }
}

TEST(Transformer, ChangingTargetTokenJChangesNoEarlierOutput) {
  for (const bool pre_norm : {false, true}) {
    auto m = tiny(pre_norm);
    torch::NoGradGuard no_grad;
    const auto& src = sources();
    const auto tgt = targets().slice(0, 0, 1);
    const auto base = m->forward(src.slice(0, 0, 1), src.slice(0, 0, 1).ne(0), tgt);
    for (int64_t j = 1; j < tgt.size(1); ++j) {
      auto other = tgt.clone();
      other[0][j] = 19;
      const auto out = m->forward(src.slice(0, 0, 1), src.slice(0, 0, 1).ne(0), other);
      EXPECT_TRUE(torch::equal(out.slice(1, 0, j), base.slice(1, 0, j))) << "j " << j;
      EXPECT_FALSE(torch::allclose(out.select(1, j), base.select(1, j))) << "j " << j;
    }
  }
}

TEST(Transformer, PaddedSourcePositionsChangeNothing) {
  auto m = tiny();
  torch::NoGradGuard no_grad;
  const auto& src = sources();
  const auto mask = src.ne(0);
  const auto base = m->forward(src, mask, targets());
  // Other token ids under the padding mask.
  const auto garbage = src.masked_fill(mask.logical_not(), 17);
  EXPECT_TRUE(torch::equal(m->forward(garbage, mask, targets()), base));
  // More padding columns.
  const auto wider = torch::cat({src, torch::zeros({3, 4}, torch::kLong)}, 1);
  EXPECT_TRUE(torch::allclose(m->forward(wider, wider.ne(0), targets()), base, 1e-5, 1e-6));
  // Each sentence alone, without any padding.
  for (int64_t i = 0; i < src.size(0); ++i) {
    const int64_t n = mask[i].sum().item<int64_t>();
    const auto one = src.slice(0, i, i + 1).slice(1, 0, n);
    EXPECT_TRUE(torch::allclose(m->forward(one, one.ne(0), targets().slice(0, i, i + 1)), base.slice(0, i, i + 1),
                                1e-5, 1e-6))
        << "sentence " << i;
  }
}

TEST(Transformer, CachedIncrementalDecodingEqualsFullRecomputation) {
  for (const bool pre_norm : {false, true}) {
    auto m = tiny(pre_norm);
    torch::NoGradGuard no_grad;
    const auto& src = sources();
    const auto& tgt = targets();
    const auto full = m->forward(src, src.ne(0), tgt);  // [B, T, V]
    auto state = m->init_state(m->encode(src, src.ne(0)));
    for (int64_t t = 0; t < tgt.size(1); ++t) {
      const auto logits = m->step(tgt.select(1, t), state).logits;
      EXPECT_LT((logits - full.select(1, t)).abs().max().item<float>(), 1e-5) << "step " << t;
    }
    EXPECT_EQ(state["self_k0"].size(2), tgt.size(1));
  }
}

TEST(Transformer, SelectReordersTheCachesForBeams) {
  auto m = tiny();
  torch::NoGradGuard no_grad;
  const auto& src = sources();
  const auto& tgt = targets();
  const auto order = torch::tensor({2, 0, 0, 1});
  const auto full = m->forward(src.index_select(0, order), src.index_select(0, order).ne(0), tgt.index_select(0, order));
  auto state = m->init_state(m->encode(src, src.ne(0)));
  m->step(tgt.select(1, 0), state);
  m->step(tgt.select(1, 1), state);
  state.select(order);
  const auto reordered = tgt.index_select(0, order);
  for (int64_t t = 2; t < tgt.size(1); ++t) {
    const auto logits = m->step(reordered.select(1, t), state).logits;
    EXPECT_LT((logits - full.select(1, t)).abs().max().item<float>(), 1e-5) << "step " << t;
  }
}

TEST(Transformer, BeamOneEqualsGreedy) {
  auto m = tiny(/*pre_norm=*/true, 7);
  const auto& src = sources();
  const std::vector<int64_t> max_len = {8, 3, 10};
  for (const double alpha : {0.0, 0.6}) {
    const auto g = search::greedy(*m, src, src.ne(0), max_len, alpha);
    const auto b = search::beam_search(*m, src, src.ne(0), max_len, 1, alpha, 1);
    ASSERT_EQ(b.size(), g.size());
    for (std::size_t i = 0; i < g.size(); ++i) {
      EXPECT_EQ(b[i][0].tokens, g[i].tokens) << "sentence " << i;
      EXPECT_NEAR(b[i][0].score, g[i].score, 1e-5) << "sentence " << i;
    }
  }
}

TEST(Transformer, TiedEmbeddingsShareOneTable) {
  torch::manual_seed(0);
  Transformer tied(test::tiny_transformer(false, /*tie=*/true), 20, 20, 0.0);
  Transformer untied(test::tiny_transformer(false, /*tie=*/false), 20, 20, 0.0);
  const auto count = [](const Transformer& m) {
    int64_t n = 0;
    for (const auto& p : m->parameters()) n += p.numel();
    return n;
  };
  // Untied adds a target table and an output projection, 20 x 16 each.
  EXPECT_EQ(count(untied) - count(tied), 2 * 20 * 16);
  EXPECT_THROW(Transformer(test::tiny_transformer(false, true), 20, 21, 0.0), c10::Error);
}

}  // namespace
}  // namespace nmt::model
