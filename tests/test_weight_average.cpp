// The exponential moving average of the weights (training.ema_decay).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "nmt/model/checkpoint.h"
#include "nmt/train/weight_average.h"
#include "test_util.h"

namespace nmt::train {
namespace {

struct Small : torch::nn::Module {
  Small() : linear(register_module("linear", torch::nn::Linear(4, 3))) {}
  torch::nn::Linear linear;
};

// Moves every weight by `delta`, as an update would.
void step(Small& m, double delta) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.parameters()) p.add_(delta);
}

void expect_equal(const model::NamedTensors& a, torch::nn::Module& m) {
  for (const auto& p : m.named_parameters()) EXPECT_TRUE(torch::equal(a[p.key()], p.value())) << p.key();
}

TEST(WeightAverage, DecayZeroTracksTheWeights) {
  torch::manual_seed(1);
  Small m;
  WeightAverage avg(m, 0.0);
  for (int i = 0; i < 3; ++i) {
    step(m, 0.37);
    avg.update(m, 1000 + i);
    expect_equal(avg.tensors(), m);
  }
}

TEST(WeightAverage, ConstantWeightsKeepAConstantAverage) {
  torch::manual_seed(2);
  Small m;
  WeightAverage avg(m, 0.9999);
  for (int i = 1; i <= 100; ++i) avg.update(m, i);
  expect_equal(avg.tensors(), m);  // bit for bit
}

TEST(WeightAverage, MovesByOneMinusDecayAndSwapsBackExactly) {
  torch::manual_seed(3);
  Small m;
  WeightAverage avg(m, 0.75);
  const auto before = m.linear->weight.detach().clone();
  step(m, 1.0);
  avg.update(m, 1000);
  // average = w0 + 0.25 * ((w0 + 1) - w0)
  EXPECT_TRUE(torch::allclose(avg.tensors()["linear.weight"], before + 0.25));
  const auto weights = m.linear->weight.detach().clone();
  const auto average = avg.tensors()["linear.weight"].clone();
  avg.swap(m);
  EXPECT_TRUE(torch::equal(m.linear->weight, average));
  avg.swap(m);
  EXPECT_TRUE(torch::equal(m.linear->weight, weights));
}

TEST(WeightAverage, EarlyUpdatesFollowTheWeightsMoreClosely) {
  torch::manual_seed(5);
  Small m;
  WeightAverage avg(m, 0.999);
  EXPECT_DOUBLE_EQ(avg.decay_at(1), 2.0 / 11.0);
  EXPECT_DOUBLE_EQ(avg.decay_at(100000), 0.999);
  const auto before = m.linear->weight.detach().clone();
  step(m, 1.0);
  avg.update(m, 1);
  // average = w0 + (1 - 2/11) * 1
  EXPECT_TRUE(torch::allclose(avg.tensors()["linear.weight"], before + 9.0 / 11.0));
}

TEST(WeightAverage, CheckpointsKeepItBesideTheWeights) {
  test::TempDir d;
  torch::manual_seed(4);
  Small m;
  WeightAverage avg(m, 0.5);
  step(m, 2.0);
  avg.update(m, 1000);
  model::save_checkpoint(d / "with.pt", m, nullptr, "{}", &avg.tensors());
  model::save_checkpoint(d / "without.pt", m, nullptr, "{}");

  Small loaded;
  WeightAverage restored(loaded, 0.5);
  bool has = false;
  model::load_checkpoint(d / "with.pt", loaded, nullptr, &restored.tensors(), &has);
  EXPECT_TRUE(has);
  for (const auto& t : avg.tensors()) EXPECT_TRUE(torch::equal(restored.tensors()[t.key()], t.value())) << t.key();
  expect_equal(m.named_parameters(), loaded);  // the weights themselves, unaveraged
  model::load_checkpoint(d / "without.pt", loaded, nullptr, &restored.tensors(), &has);
  EXPECT_FALSE(has);
}

}  // namespace
}  // namespace nmt::train
