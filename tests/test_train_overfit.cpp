// The models, loss and greedy search together: training overfits 20 pairs until
// greedy decoding reproduces every reference (BLEU 100), in fp32 and nearly so
// in int8 and over a shortlist.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <torch/torch.h>

#include "nmt/data/batcher.h"
#include "nmt/data/corpus.h"
#include "nmt/eval/bleu.h"
#include "nmt/model/int8.h"
#include "nmt/model/rnnsearch.h"
#include "nmt/model/transformer.h"
#include "nmt/search/ensemble.h"
#include "nmt/search/search.h"
#include "nmt/search/shortlist.h"
#include "nmt/train/loss.h"
#include "test_util.h"

namespace nmt {
namespace {

// Trains `make_model(src_vocab, tgt_vocab)` on the first 20 toy pairs until the
// loss is near 0, then expects greedy search to reproduce every reference, and
// to lose at most 5 BLEU of that with int8 linear layers.
template <class MakeModel>
void expect_overfits_twenty_pairs(MakeModel make_model, double lr) {
  test::TempDir dir;
  test::train_toy_vocab(dir / "spm.model");
  const auto vocabs = data::load_vocabs(dir.str(), true);
  const auto corpus = data::EncodedCorpus::open({test::toy("train.en"), test::toy("train.fr")}, vocabs, 100,
                                                dir / "train.bin");
  std::vector<int64_t> ids(20);
  for (int64_t i = 0; i < 20; ++i) ids[static_cast<std::size_t>(i)] = i;
  const auto batch = data::collate(corpus, ids);

  torch::manual_seed(1);
  auto m = make_model(vocabs.src.size(), vocabs.tgt.size());
  torch::optim::Adam opt(m->parameters(), torch::optim::AdamOptions(lr));
  float last_loss = 0;
  for (int step = 0; step < 400; ++step) {
    opt.zero_grad();
    const auto l = train::label_smoothed_nll(m->forward(batch.src, batch.src_mask, batch.tgt_in), batch.tgt_out, 0.0);
    l.loss.backward();
    torch::nn::utils::clip_grad_norm_(m->parameters(), 1.0);
    opt.step();
    last_loss = l.loss.template item<float>();
    if (last_loss < 0.01f) break;
  }
  EXPECT_LT(last_loss, 0.05f);

  m->eval();
  std::vector<std::string> refs;
  for (const int64_t id : ids) {
    std::vector<int32_t> ref;
    corpus.tgt(id, ref);
    refs.push_back(vocabs.tgt.decode(ref));
  }
  const auto translate = [&](const search::Shortlist* shortlist = nullptr) {
    search::Ensemble alone(*m);
    auto state = alone.start(batch.src, batch.src_mask);
    if (shortlist != nullptr) alone.restrict(state, shortlist->candidates(batch.src));
    const auto out = search::greedy(alone, std::move(state), std::vector<int64_t>(20, 60));
    std::vector<std::string> hyps;
    for (const auto& h : out) hyps.push_back(vocabs.tgt.decode(std::vector<int32_t>(h.tokens.begin(), h.tokens.end())));
    return hyps;
  };
  const auto hyps = translate();
  EXPECT_EQ(hyps, refs);
  EXPECT_NEAR(eval::corpus_bleu(hyps, {refs}).score, 100.0, 1e-9);

  // The same model with int8 linear layers loses at most a few BLEU of it.
  model::int8::enable();
  const auto int8_hyps = translate();
  EXPECT_GT(model::int8::packed_bytes(), 0);  // the search ran through int8
  EXPECT_GE(eval::corpus_bleu(int8_hyps, {refs}).score, 95.0);

  // Searching only a shortlist counted on the corpus keeps them, in int8 and in fp32:
  // in fp32, every sentence whose reference pieces are all on the list comes out
  // whole (which sentences those are depends on the vocabulary SentencePiece learnt).
  const auto shortlist = search::Shortlist::build(corpus, vocabs.src.size(), vocabs.tgt.size(), {20, 30});
  const auto candidates = shortlist.candidates(batch.src);
  EXPECT_LT(candidates.size(0), vocabs.tgt.size());
  EXPECT_GE(eval::corpus_bleu(translate(&shortlist), {refs}).score, 95.0);
  model::int8::disable();
  const auto listed = translate(&shortlist);
  EXPECT_GE(eval::corpus_bleu(listed, {refs}).score, 95.0);
  const auto* first = candidates.data_ptr<int64_t>();
  const std::set<int64_t> on_list(first, first + candidates.numel());
  std::size_t covered = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::vector<int32_t> ref;
    corpus.tgt(ids[i], ref);
    if (!std::all_of(ref.begin(), ref.end(), [&](int32_t t) { return on_list.count(t) != 0; })) continue;
    ++covered;
    EXPECT_EQ(listed[i], refs[i]) << "sentence " << i << ", every piece of it on the shortlist";
  }
  EXPECT_GE(covered, 15u);  // most are: the check above is not empty
}

TEST(Overfit, RnnsearchLearnsTwentyPairsToBleu100) {
  RnnsearchConfig c;
  c.embed_dim = 32;
  c.encoder_hidden = 32;
  c.decoder_hidden = 64;
  c.attention_dim = 32;
  c.maxout_dim = 32;
  expect_overfits_twenty_pairs([&](int64_t src, int64_t tgt) { return model::RNNSearch(c, src, tgt, 0.0); }, 1e-2);
}

TEST(Overfit, TransformerLearnsTwentyPairsToBleu100) {
  TransformerConfig c;
  c.encoder_layers = 2;
  c.decoder_layers = 2;
  c.d_model = 64;
  c.heads = 4;
  c.ff_dim = 128;
  c.attention_dropout = 0.0;
  expect_overfits_twenty_pairs([&](int64_t src, int64_t tgt) { return model::Transformer(c, src, tgt, 0.0); }, 3e-3);
}

TEST(Loss, LabelSmoothingMatchesTheFormula) {
  const auto logits = torch::tensor({{{1.0f, 2.0f, 0.5f, -1.0f}, {0.0f, 0.0f, 3.0f, 1.0f}}});
  const auto targets = torch::tensor({{2, 0}});  // second position is padding
  const auto out = train::label_smoothed_nll(logits, targets, 0.1);
  const auto lp = torch::log_softmax(logits[0][0], -1);
  const float expected = -(0.9f * lp[2].item<float>() + 0.1f * lp.mean().item<float>());
  EXPECT_EQ(out.tokens, 1);
  EXPECT_NEAR(out.loss.item<float>(), expected, 1e-6);
  EXPECT_NEAR(out.nll.item<float>(), -lp[2].item<float>(), 1e-6);
}

TEST(Loss, GradientMatchesAutogradOfTheFormula) {
  torch::manual_seed(3);
  const auto logits = torch::randn({3, 5, 11}, torch::kDouble).requires_grad_();
  auto targets = torch::randint(1, 11, {3, 5}, torch::kLong);
  targets.index_put_({1, torch::indexing::Slice(2)}, 0);  // padding
  const double eps = 0.1;
  train::label_smoothed_nll(logits, targets, eps).loss.backward();
  const auto fused = logits.grad().clone();

  logits.mutable_grad().reset();
  const auto lp = torch::log_softmax(logits, -1);
  const auto mask = targets.ne(0).to(torch::kDouble);
  const auto per_token = -(1 - eps) * lp.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - eps * lp.mean(-1);
  ((per_token * mask).sum() / mask.sum()).backward();
  EXPECT_TRUE(torch::allclose(fused, logits.grad(), 1e-10, 1e-12));
  EXPECT_EQ(fused.index({1, torch::indexing::Slice(2)}).abs().max().item<double>(), 0.0);
}

}  // namespace
}  // namespace nmt
