#include <gtest/gtest.h>

#include <torch/torch.h>

#include "nmt/model/fused.h"

namespace nmt::model {
namespace {

TEST(Gru, FusedGatesEqualTheGruCellInValueAndGradient) {
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
