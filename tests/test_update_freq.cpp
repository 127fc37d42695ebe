// Gradient accumulation (training.update_freq): an update from several batches
// is the update from one batch holding all their sentences.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "nmt/data/batcher.h"
#include "nmt/data/corpus.h"
#include "nmt/model/rnnsearch.h"
#include "nmt/model/transformer.h"
#include "nmt/train/step.h"
#include "test_util.h"

namespace nmt::train {
namespace {

// Makes a fresh model (seed 3) of `vocab` tokens a side and updates it once
// from each list of batches in turn.
template <class MakeModel>
std::vector<torch::Tensor> train(MakeModel make_model, int64_t vocab,
                                 const std::vector<std::vector<data::Batch>>& updates, std::vector<double>* losses) {
  torch::manual_seed(3);
  auto m = make_model(vocab);
  TrainingConfig t;
  t.label_smoothing = 0.1;
  t.clip_norm = 1.0;
  auto optimizer = make_optimizer(t, m->parameters());
  for (const auto& batches : updates) {
    const auto r = train_step(*m, *optimizer, batches, t, torch::kCPU);
    EXPECT_TRUE(r.applied);
    losses->push_back(r.loss);
  }
  // The parameters, then the gradients of the last update (the step leaves them).
  std::vector<torch::Tensor> out;
  for (const auto& p : m->parameters()) out.push_back(p.detach().clone());
  for (const auto& p : m->parameters()) out.push_back(p.grad().clone());
  return out;
}

template <class MakeModel>
void expect_two_halves_update_as_their_union(MakeModel make_model) {
  test::TempDir dir;
  test::train_toy_vocab(dir / "spm.model");
  const auto vocabs = data::load_vocabs(dir.str(), true);
  const auto corpus = data::EncodedCorpus::open({test::toy("train.en"), test::toy("train.fr")}, vocabs, 100,
                                                dir / "train.bin");
  // Three updates; each splits its sentences unevenly, so that the halves hold
  // different numbers of tokens and pad to different lengths.
  std::vector<std::vector<data::Batch>> halves, whole;
  for (int64_t u = 0; u < 3; ++u) {
    std::vector<int64_t> a, b, all;
    for (int64_t i = 0; i < 9; ++i) {
      const int64_t id = u * 9 + i;
      (i < 3 ? a : b).push_back(id);
      all.push_back(id);
    }
    halves.push_back({data::collate(corpus, a), data::collate(corpus, b)});
    whole.push_back({data::collate(corpus, all)});
  }
  ASSERT_NE(halves[0][0].tgt_tokens, halves[0][1].tgt_tokens);
  std::vector<double> split_losses, whole_losses;
  const std::vector<torch::Tensor> split = train(make_model, vocabs.tgt.size(), halves, &split_losses);
  const std::vector<torch::Tensor> one = train(make_model, vocabs.tgt.size(), whole, &whole_losses);
  ASSERT_EQ(split.size(), one.size());
  const std::size_t n = split.size() / 2;
  for (std::size_t i = 0; i < split.size(); ++i) {
    // Gradients to float rounding; weights to a tenth of Adam's step (lr 5e-4),
    // which turns a rounding difference of a near-zero gradient into a step.
    const bool gradient = i >= n;
    EXPECT_TRUE(torch::allclose(split[i], one[i], 1e-4, gradient ? 1e-6 : 5e-5))
        << (gradient ? "gradient " : "parameter ") << i % n << ": max difference "
        << (split[i] - one[i]).abs().max().item<float>();
  }
  for (std::size_t u = 0; u < split_losses.size(); ++u) EXPECT_NEAR(split_losses[u], whole_losses[u], 1e-5);
}

TEST(UpdateFreq, TwoBatchesUpdateAsOneBatchOfBothRnnsearch) {
  expect_two_halves_update_as_their_union([](int64_t vocab) {
    auto m = model::RNNSearch(test::tiny_rnnsearch(12), vocab, vocab, 0.0);
    return m.ptr();
  });
}

TEST(UpdateFreq, TwoBatchesUpdateAsOneBatchOfBothTransformer) {
  expect_two_halves_update_as_their_union([](int64_t vocab) {
    auto m = model::Transformer(test::tiny_transformer(), vocab, vocab, 0.0);
    return m.ptr();
  });
}

}  // namespace
}  // namespace nmt::train
