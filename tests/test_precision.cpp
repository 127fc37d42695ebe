// training.precision: bf16 autocast on the CPU, fp32 weights and gradients, and
// fp16's dynamic loss scale (fp16 itself, on a CUDA device where there is one).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <numeric>
#include <utility>

#include "nmt/common/error.h"
#include "nmt/data/batcher.h"
#include "nmt/data/corpus.h"
#include "nmt/model/fused.h"
#include "nmt/model/rnnsearch.h"
#include "nmt/model/transformer.h"
#include "nmt/train/precision.h"
#include "nmt/train/step.h"
#include "test_util.h"

namespace nmt::train {
namespace {

TEST(Precision, Fp16NeedsCudaAndItsScaleHalvesOnOverflowAndGrows) {
  EXPECT_THROW(MixedPrecision(Precision::fp16, torch::kCPU), ConfigError);
  MixedPrecision mp(Precision::fp16, torch::Device(torch::kCUDA, 0));  // nothing runs on it here
  EXPECT_EQ(mp.scale(), MixedPrecision::kInitialScale);
  EXPECT_TRUE(mp.update_scale(false));
  EXPECT_EQ(mp.scale(), MixedPrecision::kInitialScale / 2);
  for (int64_t i = 1; i < MixedPrecision::kGrowthInterval; ++i) EXPECT_FALSE(mp.update_scale(true));
  EXPECT_EQ(mp.scale(), MixedPrecision::kInitialScale / 2);
  EXPECT_FALSE(mp.update_scale(true));
  EXPECT_EQ(mp.scale(), MixedPrecision::kInitialScale);
  // fp32 and bf16 never scale.
  MixedPrecision bf16(Precision::bf16, torch::kCPU);
  EXPECT_FALSE(bf16.update_scale(false));
  EXPECT_EQ(bf16.scale(), 1.0);
}

TEST(Precision, Bf16AutocastReachesTheModelsProductsAndEndsWithItsScope) {
  const auto x = torch::randn({4, 8}), w = torch::randn({3, 8});
  MixedPrecision mp(Precision::bf16, torch::kCPU);
  {
    const MixedPrecision::Scope scope(mp);
    EXPECT_TRUE(model::autocast_active());
    EXPECT_EQ(model::affine(x, w).scalar_type(), torch::kBFloat16);
  }
  EXPECT_FALSE(model::autocast_active());
  EXPECT_EQ(model::affine(x, w).scalar_type(), torch::kFloat);
}

// One update of a fresh model (seed 5) on `device` in `precision`: its loss and its fp32 gradients.
template <class MakeModel>
std::pair<double, torch::Tensor> one_update(MakeModel make_model, int64_t vocab, const data::Batch& batch,
                                            Precision precision, torch::Device device) {
  torch::manual_seed(5);
  auto m = make_model(vocab);
  m->to(device);
  TrainingConfig t;
  t.clip_norm = 0;
  auto optimizer = make_optimizer(t, m->parameters());
  MixedPrecision mp(precision, device);
  const auto r = train_step(*m, *optimizer, {batch}, t, device, Forward::whole_sequence, nullptr,
                            precision == Precision::fp32 ? nullptr : &mp);
  EXPECT_TRUE(r.applied);
  std::vector<torch::Tensor> grads;
  for (const auto& p : m->parameters()) {
    EXPECT_EQ(p.scalar_type(), torch::kFloat);
    EXPECT_EQ(p.grad().scalar_type(), torch::kFloat);
    grads.push_back(p.grad().reshape({-1}).cpu());
  }
  return {r.loss, torch::cat(grads)};
}

// 16 toy pairs, collated, and the size of their (joint) vocabulary.
data::Batch toy_batch(const test::TempDir& dir, int64_t* vocab) {
  test::train_toy_vocab(dir / "spm.model");
  const auto vocabs = data::load_vocabs(dir.str(), true);
  *vocab = vocabs.tgt.size();
  const auto corpus =
      data::EncodedCorpus::open({test::toy("train.en"), test::toy("train.fr")}, vocabs, 100, dir / "train.bin");
  std::vector<int64_t> ids(16);
  std::iota(ids.begin(), ids.end(), 0);
  return data::collate(corpus, ids);
}

template <class MakeModel>
void expect_close_to_fp32(MakeModel make_model, Precision precision, torch::Device device = torch::kCPU) {
  test::TempDir dir;
  int64_t vocab = 0;
  const auto batch = toy_batch(dir, &vocab);
  const std::pair<double, torch::Tensor> fp32 = one_update(make_model, vocab, batch, Precision::fp32, device);
  const std::pair<double, torch::Tensor> half = one_update(make_model, vocab, batch, precision, device);
  const auto& [loss32, grad32] = fp32;
  const auto& [loss16, grad16] = half;
  // bf16 keeps 8 bits of mantissa, fp16 11: close, and not the same.
  EXPECT_NEAR(loss16, loss32, 0.02 * loss32);
  EXPECT_FALSE(torch::equal(grad16, grad32));
  const double cosine = (grad16 * grad32).sum().item<double>() / (grad16.norm() * grad32.norm()).item<double>();
  EXPECT_GT(cosine, 0.99);
}

auto tiny_transformer(int64_t vocab) { return model::Transformer(test::tiny_transformer(), vocab, vocab, 0.0).ptr(); }

TEST(Precision, Bf16UpdateIsCloseToFp32Rnnsearch) {
  expect_close_to_fp32(
      [](int64_t vocab) { return model::RNNSearch(test::tiny_rnnsearch(12), vocab, vocab, 0.0).ptr(); },
      Precision::bf16);
}

TEST(Precision, Bf16UpdateIsCloseToFp32Transformer) { expect_close_to_fp32(tiny_transformer, Precision::bf16); }

TEST(Precision, OnCudaFp16IsCloseToFp32AndAnOverflowSkipsTheUpdate) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const torch::Device cuda(torch::kCUDA, 0);
  expect_close_to_fp32(tiny_transformer, Precision::fp16, cuda);
  expect_close_to_fp32(tiny_transformer, Precision::bf16, cuda);
  // A weight beyond fp16's range (65504) makes the half-precision products infinite.
  test::TempDir dir;
  int64_t vocab = 0;
  const auto batch = toy_batch(dir, &vocab);
  auto m = tiny_transformer(vocab);
  m->to(cuda);
  std::vector<torch::Tensor> before;
  {
    torch::NoGradGuard no_grad;
    for (auto& p : m->parameters()) {
      p.view({-1})[0].fill_(1e6);
      before.push_back(p.clone());
    }
  }
  TrainingConfig t;
  auto optimizer = make_optimizer(t, m->parameters());
  MixedPrecision mp(Precision::fp16, cuda);
  const auto r = train_step(*m, *optimizer, {batch}, t, cuda, Forward::whole_sequence, nullptr, &mp);
  EXPECT_TRUE(r.overflow);
  EXPECT_FALSE(r.applied);
  EXPECT_EQ(mp.scale(), MixedPrecision::kInitialScale / 2);
  const auto params = m->parameters();
  for (std::size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i], before[i])) << "parameter " << i;
}

}  // namespace
}  // namespace nmt::train
