// Sampling: top-k, nucleus (top-p) and temperature draw from the distribution they promise.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "nmt/common/config.h"
#include "nmt/model/transformer.h"
#include "nmt/search/search.h"
#include "test_util.h"

namespace nmt::search {
namespace {

at::Generator generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

// Token probabilities of a fixed next-token distribution: pad (0) and bos (2) ruled out.
const std::vector<double> kProbs = {0, 0.1, 0, 0.2, 0.3, 0.4};

// Frequencies of `draws` tokens sampled from kProbs.
std::vector<double> frequencies(const std::string& how, double temperature, int64_t draws = 40000) {
  auto lp = torch::tensor(kProbs, torch::kFloat).log().unsqueeze(0).expand({draws, -1}).contiguous();
  auto gen = generator(7);
  const auto ids = sample_tokens(lp, Sampling::parse(how), temperature, gen);
  std::vector<double> freq(kProbs.size(), 0.0);
  const auto* p = ids.data_ptr<int64_t>();
  for (int64_t i = 0; i < draws; ++i) freq[static_cast<std::size_t>(p[i])] += 1.0 / static_cast<double>(draws);
  return freq;
}

void expect_frequencies(const std::string& how, double temperature, const std::vector<double>& want) {
  const auto got = frequencies(how, temperature);
  double total = 0;
  for (double w : want) total += w;
  for (std::size_t i = 0; i < want.size(); ++i) {
    // 40000 draws: a standard deviation of at most 0.0025.
    EXPECT_NEAR(got[i], want[i] / total, 0.012) << how << " T=" << temperature << ", token " << i;
  }
}

TEST(Sampling, FrequenciesMatchTheDistributionItPromises) {
  expect_frequencies("full", 1.0, kProbs);
  expect_frequencies("topk:2", 1.0, {0, 0, 0, 0, 0.3, 0.4});
  expect_frequencies("topk:100", 1.0, kProbs);  // K beyond the vocabulary: all of it
  // The nucleus: the most likely tokens until their mass reaches P.
  expect_frequencies("topp:0.6", 1.0, {0, 0, 0, 0, 0.3, 0.4});
  expect_frequencies("topp:0.75", 1.0, {0, 0, 0, 0.2, 0.3, 0.4});
  expect_frequencies("topp:0.3", 1.0, {0, 0, 0, 0, 0, 1});
  expect_frequencies("topp:1e-300", 1.0, {0, 0, 0, 0, 0, 1});  // below a float: the most likely token alone
  expect_frequencies("topp:1", 1.0, kProbs);
  // Temperature 2: p^(1/2), renormalised; 0.5 sharpens to p^2.
  std::vector<double> flat, sharp;
  for (double p : kProbs) {
    flat.push_back(std::sqrt(p));
    sharp.push_back(p * p);
  }
  expect_frequencies("full", 2.0, flat);
  expect_frequencies("full", 0.5, sharp);
}

TEST(Sampling, NeverDrawsPadOrBos) {
  const auto f = frequencies("full", 50.0);
  EXPECT_EQ(f[0], 0.0);
  EXPECT_EQ(f[2], 0.0);
}

class SampledTranslation : public ::testing::Test {
 protected:
  SampledTranslation() {
    torch::manual_seed(3);
    model_ = model::Transformer(test::tiny_transformer(), 20, 17, 0.0);
    model_->eval();
  }
  std::vector<Hypothesis> sampled(const std::string& how, uint64_t seed, double temperature = 1.0) {
    Ensemble alone(*model_);
    auto gen = generator(seed);
    return sample(alone, alone.start(src_, src_.ne(0)), max_len_, 0.6, Sampling::parse(how), temperature, gen);
  }
  model::Transformer model_{nullptr};
  torch::Tensor src_ = torch::tensor({{5, 6, 7, 8, 3}, {8, 9, 3, 0, 0}, {10, 3, 0, 0, 0}, {4, 4, 4, 4, 3}});
  std::vector<int64_t> max_len_ = {12, 12, 12, 12};
};

TEST_F(SampledTranslation, TopKOneEqualsGreedy) {
  const auto g = greedy(*model_, src_, src_.ne(0), max_len_, 0.6);
  for (const double temperature : {1.0, 3.0}) {
    const auto s = sampled("topk:1", 5, temperature);
    ASSERT_EQ(s.size(), g.size());
    for (std::size_t i = 0; i < g.size(); ++i) {
      EXPECT_EQ(s[i].tokens, g[i].tokens) << "sentence " << i;
      EXPECT_NEAR(s[i].score, g[i].score, 1e-5) << "sentence " << i;  // the model's log-probability
    }
  }
}

TEST_F(SampledTranslation, TheSameSeedGivesTheSameOutputAndAnotherSeedAnother) {
  const auto a = sampled("full", 11, 2.0);
  const auto b = sampled("full", 11, 2.0);
  const auto c = sampled("full", 12, 2.0);
  bool differs = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].tokens, b[i].tokens);
    EXPECT_EQ(a[i].score, b[i].score);
    differs = differs || a[i].tokens != c[i].tokens;
  }
  EXPECT_TRUE(differs);
}

TEST(Sampling, ParsesItsKindsAndRefusesTheRest) {
  EXPECT_FALSE(Sampling::parse("").enabled());
  EXPECT_EQ(Sampling::parse("full").kind, Sampling::Kind::full);
  EXPECT_EQ(Sampling::parse("topk:10").k, 10);
  EXPECT_DOUBLE_EQ(Sampling::parse("topp:0.9").p, 0.9);
  for (const char* bad : {"top", "topk", "topk:", "topk:0", "topk:2.5", "topk:-1", "topk:x", "topp:0", "topp:1.5",
                          "topp:nan", "topp: 0.5", "beam:4", "Full"}) {
    EXPECT_THROW(Sampling::parse(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace nmt::search
