#include <gtest/gtest.h>

#include <torch/torch.h>

#include "nmt/model/attention.h"

namespace nmt::model {
namespace {

TEST(AdditiveAttention, WeightsSumToOneAndAreExactlyZeroOnPadding) {
  torch::manual_seed(1);
  AdditiveAttention att(6, 4, 5);
  const auto annotations = torch::randn({3, 7, 4});
  const auto mask = torch::tensor({7, 4, 1}).unsqueeze(1) > torch::arange(7).unsqueeze(0);  // lengths 7, 4, 1
  const auto keys = att->project_keys(annotations);
  const auto [context, weights] = att->forward(torch::randn({3, 6}), keys, annotations, mask);
  ASSERT_EQ(weights.sizes(), (std::vector<int64_t>{3, 7}));
  EXPECT_TRUE(torch::allclose(weights.sum(1), torch::ones({3})));
  EXPECT_EQ(weights.masked_select(mask.logical_not()).abs().max().item<float>(), 0.0f);
  EXPECT_EQ(weights[2][0].item<float>(), 1.0f);  // one real token takes all the weight
  EXPECT_EQ(context.sizes(), (std::vector<int64_t>{3, 4}));
}

TEST(AdditiveAttention, PaddingContentChangesNothing) {
  torch::manual_seed(2);
  AdditiveAttention att(6, 4, 5);
  auto annotations = torch::randn({2, 5, 4});
  const auto mask = torch::tensor({5, 3}).unsqueeze(1) > torch::arange(5).unsqueeze(0);
  const auto query = torch::randn({2, 6});
  const auto a = att->forward(query, att->project_keys(annotations), annotations, mask);
  auto changed = annotations.clone();
  changed.index_put_({1, torch::indexing::Slice(3)}, 100.0);
  const auto b = att->forward(query, att->project_keys(changed), changed, mask);
  EXPECT_TRUE(torch::equal(a.first[1], b.first[1]));
  EXPECT_TRUE(torch::equal(a.second, b.second));
}

}  // namespace
}  // namespace nmt::model
