#include <gtest/gtest.h>

#include <torch/torch.h>

#include "nmt/common/isa.h"
#include "nmt/model/attention.h"
#include "nmt/model/fused.h"
#include "nmt/model/int8.h"
#include "nmt/train/loss.h"

namespace nmt {
// How GoogleTest names an instruction set in its messages.
void PrintTo(Isa isa, std::ostream* os) { *os << name_of(isa); }
}  // namespace nmt

namespace nmt::model {
namespace {

// Runs a test body once per instruction set this CPU runs (the AVX2 build
// on an AVX-512 host too), restoring the kernels' own choice after.
class EachIsa : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override { set_kernel_isa(GetParam()); }
  void TearDown() override { set_kernel_isa(chosen_); }

 private:
  Isa chosen_ = kernel_isa();
};

std::string isa_name(const ::testing::TestParamInfo<Isa>& info) { return std::string(name_of(info.param)); }

INSTANTIATE_TEST_SUITE_P(Kernels, EachIsa, ::testing::ValuesIn(runnable_isas()), isa_name);

TEST(Isa, NamesRoundTripAndTheHostRunsTheBaseline) {
  for (const Isa isa : {Isa::baseline, Isa::avx2, Isa::avx512}) EXPECT_EQ(parse_isa(name_of(isa)), isa);
  EXPECT_FALSE(parse_isa("avx3").has_value());
  EXPECT_EQ(runnable_isas().front(), Isa::baseline);
  EXPECT_EQ(runnable_isas().back(), host_isa());
  if (host_isa() != Isa::avx512) {
    EXPECT_THROW(set_kernel_isa(Isa::avx512), std::invalid_argument);
  }
}

TEST_P(EachIsa, FusedGruGatesEqualTheGruCellInValueAndGradient) {
  ASSERT_EQ(kernel_isa(), GetParam());
  torch::manual_seed(5);
  // An odd width exercises the vector loops' tails; enough rows to split across threads.
  const int64_t rows = 3000, input = 7, hidden = 13;
  torch::nn::GRUCell cell(input, hidden);
  const auto x = torch::randn({rows, input}, torch::requires_grad());
  const auto h = torch::randn({rows, hidden}, torch::requires_grad());
  const auto upstream = torch::randn({rows, hidden});
  auto gradients = [&](const torch::Tensor& out) {
    for (auto& p : cell->parameters()) p.mutable_grad().reset();
    x.mutable_grad().reset();
    h.mutable_grad().reset();
    (out * upstream).sum().backward();
    std::vector<torch::Tensor> g{x.grad().clone(), h.grad().clone()};
    for (auto& p : cell->parameters()) g.push_back(p.grad().clone());
    return g;
  };
  const auto expected = cell->forward(x, h);
  const auto expected_grads = gradients(expected);
  const auto gi = torch::nn::functional::linear(x, cell->weight_ih, cell->bias_ih);
  const auto gh = torch::nn::functional::linear(h, cell->weight_hh, cell->bias_hh);
  const auto fused = gru_gates(gi, gh, h);
  EXPECT_TRUE(torch::allclose(fused, expected, 1e-5, 1e-6));
  const auto fused_grads = gradients(fused);
  for (std::size_t i = 0; i < expected_grads.size(); ++i) {
    EXPECT_TRUE(torch::allclose(fused_grads[i], expected_grads[i], 1e-4, 1e-5)) << "gradient " << i;
  }
  EXPECT_TRUE(torch::allclose(gru_gates_reference(gi, gh, h), expected, 1e-5, 1e-6));
}

TEST_P(EachIsa, AttentionInferenceEqualsTheReference) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(11);
  const int64_t batch = 3, heads = 2, dh = 8;
  // Keys and values as the model holds them: [B, T, H, Dh] viewed as [B, H, T, Dh].
  const auto heads_view = [&](int64_t t) { return torch::randn({batch, t, heads, dh}).transpose(1, 2); };
  auto mask = torch::ones({batch, 5}, torch::kBool);
  mask[0][4] = false;
  mask[2][1] = false;
  mask[2][3] = false;
  const auto q = heads_view(4), k = heads_view(5), v = heads_view(5);
  EXPECT_TRUE(torch::allclose(attention_inference(q, k, v, mask, false), reference_attention(q, k, v, mask, false),
                              1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(attention_inference(q, k, v, torch::Tensor(), false),
                              reference_attention(q, k, v, torch::Tensor(), false), 1e-5, 1e-6));
  const auto qs = heads_view(5);
  EXPECT_TRUE(torch::allclose(attention_inference(qs, k, v, mask, true), reference_attention(qs, k, v, mask, true),
                              1e-5, 1e-6));
  // One query at a time against a growing cache, as search runs it.
  const auto step = attention_inference(qs.slice(2, 2, 3), k.slice(2, 0, 3), v.slice(2, 0, 3), mask.slice(1, 0, 3), false);
  EXPECT_TRUE(torch::allclose(step, reference_attention(qs, k, v, mask, true).slice(2, 2, 3), 1e-5, 1e-6));
}

// d(sum(out * upstream)) / d(each input), for a function of the inputs.
template <typename F>
std::vector<torch::Tensor> gradients_of(F f, std::vector<torch::Tensor> inputs, const torch::Tensor& upstream) {
  for (auto& t : inputs) t = t.detach().requires_grad_();
  (f(inputs) * upstream).sum().backward();
  std::vector<torch::Tensor> grads;
  for (const auto& t : inputs) grads.push_back(t.grad());
  return grads;
}

TEST_P(EachIsa, AdditiveScoresEqualTheReferenceInValueAndGradient) {
  torch::manual_seed(7);
  // An odd attention width exercises the vector loops' tails; enough rows to split across threads.
  const int64_t batch = 40, len = 9, dim = 37;
  const std::vector<torch::Tensor> inputs{torch::randn({batch, len, dim}), torch::randn({batch, dim}),
                                          torch::randn({1, dim})};
  const auto upstream = torch::randn({batch, len});
  const auto fused = [](const std::vector<torch::Tensor>& in) { return additive_scores(in[0], in[1], in[2]); };
  // The reference in double (its gradients come back to the fp32 inputs), so
  // the fp32 loops are judged against the exact values.
  const auto reference = [](const std::vector<torch::Tensor>& in) {
    return additive_scores_reference(in[0].to(torch::kDouble), in[1].to(torch::kDouble), in[2].to(torch::kDouble));
  };
  EXPECT_TRUE(torch::allclose(fused(inputs).to(torch::kDouble), reference(inputs), 1e-5, 1e-5));
  const auto got = gradients_of(fused, inputs, upstream);
  const auto expected = gradients_of(reference, inputs, upstream.to(torch::kDouble));
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(torch::allclose(got[i], expected[i], 1e-4, 1e-4)) << "gradient " << i;
  }
}

TEST_P(EachIsa, FusedLossEqualsTheFormulaInValueAndGradient) {
  torch::manual_seed(9);
  const int64_t batch = 6, len = 7, vocab = 1001;  // an odd vocabulary: the loops' tails
  const auto logits = torch::randn({batch, len, vocab}) * 3;
  auto targets = torch::randint(1, vocab, {batch, len}, torch::kLong);
  targets.index_put_({2, torch::indexing::Slice(3)}, 0);  // padding
  const double eps = 0.1;
  const auto fp32 = logits.detach().requires_grad_();
  const auto out = train::label_smoothed_nll(fp32, targets, eps);
  out.loss.backward();

  const auto exact = logits.to(torch::kDouble).requires_grad_();
  const auto lp = torch::log_softmax(exact, -1);
  const auto mask = targets.ne(0).to(torch::kDouble);
  const auto nll = -lp.gather(-1, targets.unsqueeze(-1)).squeeze(-1);
  const auto loss = (((1 - eps) * nll - eps * lp.mean(-1)) * mask).sum() / mask.sum();
  loss.backward();
  EXPECT_EQ(out.tokens, mask.sum().item<int64_t>());
  EXPECT_NEAR(out.loss.item<double>(), loss.item<double>(), 1e-5);
  EXPECT_NEAR(out.nll.item<double>(), (nll * mask).sum().item<double>(), 1e-3);
  EXPECT_TRUE(torch::allclose(fp32.grad().to(torch::kDouble), exact.grad(), 1e-4, 1e-7));
  EXPECT_EQ(fp32.grad().index({2, torch::indexing::Slice(3)}).abs().max().item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(fp32, logits));  // kept logits are left as they were

  // Consumed logits (a training step's) give the same gradient, written in their place.
  const auto leaf = logits.detach().requires_grad_();
  const auto consumed = leaf * 1.0f;
  train::label_smoothed_nll(consumed, targets, eps, train::Logits::consumed).loss.backward();
  EXPECT_TRUE(torch::allclose(leaf.grad(), fp32.grad(), 1e-6, 1e-9));
}

TEST_P(EachIsa, Int8AffineIsWithinItsQuantizationErrorOfFp32) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(13);
  const auto x = torch::randn({37, 64}), w = torch::randn({50, 64}) * 0.1, b = torch::randn({50});
  const auto bias_2d = torch::randn({37, 50});
  const auto expected = torch::nn::functional::linear(x, w, b);
  const auto expected_2d = torch::nn::functional::linear(x, w, bias_2d);
  for (const bool through_libtorch : {false, true}) {
    int8::enable(through_libtorch);
    const auto got = affine(x, w, b), got_2d = affine(x, w, bias_2d), got_none = affine(x, w);
    // Per-row int8 keeps each product within about 1% of the output's range.
    const double range = expected.abs().max().item<double>();
    EXPECT_LT((got - expected).abs().max().item<double>(), 0.02 * range) << int8::engine();
    EXPECT_LT((got_2d - expected_2d).abs().max().item<double>(), 0.02 * range) << int8::engine();
    EXPECT_LT((got_none - (expected - b)).abs().max().item<double>(), 0.02 * range) << int8::engine();
    EXPECT_GT(int8::packed_bytes(), 0);
    int8::disable();
  }
  EXPECT_FALSE(int8::enabled());
  EXPECT_TRUE(torch::allclose(affine(x, w, b), expected, 1e-5, 1e-5));  // fp32 again
}

TEST(BatchedMatmul, EqualsLibTorchsInValueAndGradient) {
  torch::manual_seed(17);
  // q [B, H, T, D] and k^T as attention holds them: views of [B, T, H, D].
  const auto q_full = torch::randn({3, 7, 2, 8}, torch::requires_grad());
  const auto k_full = torch::randn({3, 5, 2, 8}, torch::requires_grad());
  const auto w = torch::randn({3, 2, 7, 5}, torch::requires_grad());
  const auto q = q_full.transpose(1, 2), k_t = k_full.transpose(1, 2).transpose(2, 3), v = k_full.transpose(1, 2);
  const auto check = [&](const torch::Tensor& a, const torch::Tensor& b, const std::vector<torch::Tensor>& leaves) {
    const auto expected = torch::matmul(a, b), got = batched_matmul(a, b);
    ASSERT_EQ(got.sizes(), expected.sizes());
    EXPECT_TRUE(torch::allclose(got, expected, 1e-5, 1e-5));
    const auto ge = torch::autograd::grad({(expected * expected).sum()}, leaves);
    const auto gg = torch::autograd::grad({(got * got).sum()}, leaves);
    for (std::size_t i = 0; i < ge.size(); ++i) EXPECT_TRUE(torch::allclose(gg[i], ge[i], 1e-4, 1e-4)) << i;
  };
  check(q, k_t, {q_full, k_full});          // scores: q k^T, both strided
  check(w, v, {w, k_full});                 // context: weights v
  check(w.transpose(2, 3), q.contiguous().narrow(2, 0, 7), {w, q_full});  // a transposed, b contiguous
}

TEST(Dropout, EveryInstructionSetDrawsTheSameMask) {
  const auto x = torch::ones({300, 1001});
  const Isa chosen = kernel_isa();
  set_kernel_isa(Isa::baseline);
  torch::manual_seed(3);
  const auto expected = model::dropout(x, 0.2, true);
  for (const Isa isa : runnable_isas()) {
    set_kernel_isa(isa);
    torch::manual_seed(3);
    EXPECT_TRUE(torch::equal(model::dropout(x, 0.2, true), expected)) << name_of(isa);
  }
  set_kernel_isa(chosen);
}

TEST_P(EachIsa, ReluDropoutEqualsDropoutOfReluInValueAndGradient) {
  torch::manual_seed(21);
  const auto x = torch::randn({301, 77});
  const auto upstream = torch::randn({301, 77});
  const auto fused = [](const std::vector<torch::Tensor>& in) {
    torch::manual_seed(4);
    return model::relu_dropout(in[0], 0.3, true);
  };
  const auto composed = [](const std::vector<torch::Tensor>& in) {
    torch::manual_seed(4);
    return model::dropout(torch::relu(in[0]), 0.3, true);
  };
  EXPECT_TRUE(torch::equal(fused({x}), composed({x})));
  EXPECT_TRUE(torch::equal(gradients_of(fused, {x}, upstream)[0], gradients_of(composed, {x}, upstream)[0]));
  EXPECT_TRUE(torch::equal(model::relu_dropout(x, 0.3, /*train=*/false), torch::relu(x)));
}

TEST(Affine, EqualsLibTorchsLinearInValueAndGradient) {
  torch::manual_seed(9);
  const auto w_full = torch::randn({11, 20}, torch::requires_grad());
  struct Case {
    std::vector<int64_t> x_sizes;
    torch::Tensor w;
    std::vector<int64_t> b_sizes;  // empty: no bias
  };
  const std::vector<Case> cases = {
      {{3, 5, 20}, w_full, {11}},
      {{1, 20}, w_full, {11}},                    // a single row
      {{4, 7}, w_full.narrow(1, 13, 7), {4, 11}}, // a column slice of the weight, a bias the output's shape
      {{6, 20}, w_full, {}},                      // no bias
      {{0, 20}, w_full, {11}},                    // no rows
  };
  for (const auto& c : cases) {
    const auto x = torch::randn(c.x_sizes, torch::requires_grad());
    const auto b = c.b_sizes.empty() ? torch::Tensor() : torch::randn(c.b_sizes, torch::requires_grad());
    auto grads = [&](const torch::Tensor& y) {
      std::vector<torch::Tensor> leaves{x, w_full};
      if (b.defined()) leaves.push_back(b);
      return torch::autograd::grad({(y * y).sum()}, leaves);
    };
    const auto expected = torch::nn::functional::linear(x, c.w, b);
    const auto got = affine(x, c.w, b);
    ASSERT_EQ(got.sizes(), expected.sizes());
    EXPECT_TRUE(torch::allclose(got, expected, 1e-5, 1e-5));
    const auto g_expected = grads(expected), g_got = grads(got);
    for (std::size_t i = 0; i < g_got.size(); ++i)
      EXPECT_TRUE(torch::allclose(g_got[i], g_expected[i], 1e-4, 1e-4)) << "gradient " << i;
  }
}

TEST(Sgemm, BothLibrariesEqualLibTorchsProductForEveryTransposeAndLeadingDimension) {
  torch::manual_seed(4);
  const std::vector<std::pair<const char*, Sgemm>> libraries = {{"oneDNN", onednn_sgemm()},
                                                                {"OpenBLAS", openblas_sgemm()}};
  const int64_t m = 5, n = 7, k = 9, pad = 3;  // every matrix sits in a wider one: ld = columns + pad
  for (const auto& [library, sgemm] : libraries) {
    if (sgemm == nullptr) continue;  // not visible in this build
    for (const char ta : {'N', 'T'}) {
      for (const char tb : {'N', 'T'}) {
        const auto a = ta == 'N' ? torch::randn({m, k + pad}).narrow(1, 0, k)
                                 : torch::randn({k, m + pad}).narrow(1, 0, m);
        const auto b = tb == 'N' ? torch::randn({k, n + pad}).narrow(1, 0, n)
                                 : torch::randn({n, k + pad}).narrow(1, 0, k);
        const auto c0 = torch::randn({m, n + pad});
        auto c = c0.clone();
        ASSERT_EQ(sgemm(ta, tb, m, n, k, 0.5f, a.data_ptr<float>(), a.stride(0), b.data_ptr<float>(), b.stride(0), 2.0f,
                        c.data_ptr<float>(), c.stride(0)),
                  0);
        const auto expected =
            0.5 * torch::mm(ta == 'N' ? a : a.t(), tb == 'N' ? b : b.t()) + 2.0 * c0.narrow(1, 0, n);
        EXPECT_TRUE(torch::allclose(c.narrow(1, 0, n), expected, 1e-5, 1e-5)) << library << " " << ta << tb;
        EXPECT_TRUE(torch::equal(c.narrow(1, n, pad), c0.narrow(1, n, pad))) << library << ": wrote past its columns";
      }
    }
  }
}

TEST(Dropout, DropsAtTheRateScalesTheRestAndRepeatsUnderTheSeed) {
  const auto x = torch::ones({1000, 1001});
  torch::manual_seed(7);
  const auto a = model::dropout(x, 0.3, /*train=*/true);
  const double dropped = a.eq(0).to(torch::kDouble).mean().item<double>();
  EXPECT_NEAR(dropped, 0.3, 0.003);  // 1e6 draws: the standard deviation is 0.00046
  EXPECT_TRUE(torch::allclose(a.masked_select(a.ne(0)), torch::full({1}, 1 / 0.7f)));
  EXPECT_NEAR(a.mean().item<double>(), 1.0, 0.01);
  // Rows and columns both drop at the rate: no stripes from the hash.
  EXPECT_LT((a.eq(0).to(torch::kDouble).mean(0) - 0.3).abs().max().item<double>(), 0.07);
  EXPECT_LT((a.eq(0).to(torch::kDouble).mean(1) - 0.3).abs().max().item<double>(), 0.07);

  const auto b = model::dropout(x, 0.3, true);
  EXPECT_FALSE(torch::equal(a, b));  // a fresh mask per call
  torch::manual_seed(7);
  EXPECT_TRUE(torch::equal(model::dropout(x, 0.3, true), a));  // the same under the same seed
  const int threads = at::get_num_threads();
  at::set_num_threads(threads == 1 ? 2 : 1);
  torch::manual_seed(7);
  EXPECT_TRUE(torch::equal(model::dropout(x, 0.3, true), a));  // whatever the thread count
  at::set_num_threads(threads);

  EXPECT_TRUE(torch::equal(model::dropout(x, 0.3, /*train=*/false), x));
  const auto y = torch::randn({5, 7}, torch::requires_grad());
  const auto out = model::dropout(y, 0.5, true);
  out.sum().backward();
  EXPECT_TRUE(torch::equal(y.grad(), out.detach().ne(0).to(torch::kFloat) * 2));  // gradient through the mask
}

}  // namespace
}  // namespace nmt::model
