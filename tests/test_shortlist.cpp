// Lexical shortlists: which target tokens they keep, and search restricted to
// them, on tiny random models of both families.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <torch/torch.h>

#include "nmt/data/corpus.h"
#include "nmt/data/vocab.h"
#include "nmt/model/int8.h"
#include "nmt/model/rnnsearch.h"
#include "nmt/model/transformer.h"
#include "nmt/search/ensemble.h"
#include "nmt/search/search.h"
#include "nmt/search/shortlist.h"
#include "test_util.h"

namespace nmt::search {
namespace {

constexpr int64_t kTgtVocab = 30;

std::vector<std::shared_ptr<model::Seq2Seq>> models() {
  torch::manual_seed(5);
  auto rnn = model::RNNSearch(test::tiny_rnnsearch(16), 20, kTgtVocab, 0.0);
  torch::manual_seed(9);
  auto untied = model::Transformer(test::tiny_transformer(), 20, kTgtVocab, 0.0);
  torch::manual_seed(11);
  auto tied = model::Transformer(test::tiny_transformer(true, true), kTgtVocab, kTgtVocab, 0.0);
  std::vector<std::shared_ptr<model::Seq2Seq>> all = {rnn.ptr(), untied.ptr(), tied.ptr()};
  for (auto& m : all) m->eval();
  return all;
}

const torch::Tensor& sources() {
  static const auto src = torch::tensor({{5, 6, 7, 8, 3}, {8, 9, 3, 0, 0}, {10, 3, 0, 0, 0}, {4, 4, 4, 4, 3}});
  return src;
}

const std::vector<int64_t> kMaxLen = {8, 3, 10, 6};

std::vector<int64_t> to_vector(const torch::Tensor& t) {
  const auto c = t.contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

// Every target id but pad and bos: a shortlist that leaves nothing out.
torch::Tensor whole_vocabulary() { return torch::arange(data::kBos + 1, kTgtVocab, torch::kLong); }

TEST(Shortlist, ScoresExactlyTheWholeVocabularysLogitsOfItsTokens) {
  const auto ids = torch::tensor({3, 4, 9, 17, 29}, torch::kLong);
  for (const auto& m : models()) {
    torch::NoGradGuard no_grad;
    Ensemble alone(*m);
    auto full = alone.start(sources(), sources().ne(0));
    auto restricted = alone.start(sources(), sources().ne(0));
    alone.restrict(restricted, ids);
    auto prev = torch::full({4}, static_cast<int64_t>(data::kBos), torch::kLong);
    for (int step = 0; step < 3; ++step) {
      const auto all = m->step(prev, full.members[0]).logits;
      const auto some = m->step(prev, restricted.members[0]).logits;
      ASSERT_EQ(some.sizes(), (std::vector<int64_t>{4, ids.size(0)}));
      EXPECT_TRUE(torch::allclose(some, all.index_select(1, ids), 1e-5, 1e-6)) << "step " << step;
      prev = torch::tensor({4, 9, 17, 3}, torch::kLong);
    }
  }
}

TEST(Shortlist, SearchEmitsOnlyItsTokensAndGreedyOverEveryTokenIsGreedy) {
  const auto ids = torch::tensor({3, 5, 8, 13, 21}, torch::kLong);
  const std::set<int64_t> allowed = {5, 8, 13, 21};  // and eos, which ends a hypothesis
  for (const auto& m : models()) {
    Ensemble alone(*m);
    auto state = alone.start(sources(), sources().ne(0));
    alone.restrict(state, ids);
    const auto beams = beam_search(alone, state, kMaxLen, 3, 0.6, 3);
    for (const auto& sentence : beams) {
      for (const auto& h : sentence) {
        for (const int64_t t : h.tokens) EXPECT_EQ(allowed.count(t), 1u) << "token " << t;
      }
    }
    // The argmax is the same whatever the softmax is normalised over.
    auto every = alone.start(sources(), sources().ne(0));
    alone.restrict(every, whole_vocabulary());
    const auto restricted = greedy(alone, every, kMaxLen);
    const auto plain = greedy(*m, sources(), sources().ne(0), kMaxLen);
    for (std::size_t i = 0; i < plain.size(); ++i) EXPECT_EQ(restricted[i].tokens, plain[i].tokens) << "sentence " << i;
  }
}

TEST(Shortlist, Int8LetsEachBatchsRowsGo) {
  model::int8::enable();
  for (const auto& m : models()) {
    Ensemble alone(*m);
    int64_t held = -1;
    for (int batch = 0; batch < 4; ++batch) {
      auto state = alone.start(sources(), sources().ne(0));
      alone.restrict(state, torch::tensor({3, 5, 8, 13 + batch}, torch::kLong));
      greedy(alone, std::move(state), kMaxLen);
      // From the second batch on: the model's weights and one batch's rows.
      if (batch == 1) held = model::int8::packed_bytes();
      if (batch > 1) {
        EXPECT_EQ(model::int8::packed_bytes(), held) << "batch " << batch;
      }
    }
  }
  model::int8::disable();
}

TEST(Shortlist, SizeParsesFrequentAndPerSource) {
  const auto size = Shortlist::Size::parse("100,50");
  EXPECT_EQ(size.frequent, 100);
  EXPECT_EQ(size.per_source, 50);
  EXPECT_EQ(Shortlist::Size::parse("0,1").frequent, 0);
  for (const char* bad : {"", "100", "100,", ",5", "a,5", "5,0", "-1,5", "5,5x", "5,5,5"}) {
    EXPECT_THROW(Shortlist::Size::parse(bad), std::invalid_argument) << bad;
  }
}

TEST(Shortlist, KeepsEachSourceTokensTranslationsAndTheFrequentOnes) {
  test::TempDir dir;
  test::train_toy_vocab(dir / "spm.model");
  const auto vocabs = data::load_vocabs(dir.str(), true);
  const auto corpus =
      data::EncodedCorpus::open({test::toy("train.en"), test::toy("train.fr")}, vocabs, 100, dir / "train.bin");
  const auto list = Shortlist::build(corpus, vocabs.src.size(), vocabs.tgt.size(), {20, 10});

  // With no source token, only eos, unk and the 20 most frequent.
  const auto none = to_vector(list.candidates(torch::zeros({2, 3}, torch::kLong)));
  EXPECT_LE(none.size(), 22u);
  EXPECT_TRUE(std::is_sorted(none.begin(), none.end()));
  EXPECT_EQ(std::count(none.begin(), none.end(), data::kEos), 1);
  EXPECT_EQ(std::count(none.begin(), none.end(), data::kUnk), 1);

  // Sentences of the toy grammar: nearly every piece of their references is
  // among their candidates, which are a small part of the vocabulary.
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"The mother talks to the woman.", "La mère parle à la femme."},
      {"These sad doctors work near the station today.", "Ces médecins tristes travaillent près de la gare aujourd'hui."}};
  for (const auto& [en, fr] : pairs) {
    const auto src_ids = vocabs.src.encode(en);
    const auto cands = to_vector(list.candidates(torch::tensor(std::vector<int64_t>(src_ids.begin(), src_ids.end()))));
    EXPECT_LT(static_cast<int64_t>(cands.size()), vocabs.tgt.size() / 2);
    EXPECT_EQ(std::count(cands.begin(), cands.end(), data::kPad) + std::count(cands.begin(), cands.end(), data::kBos), 0);
    EXPECT_TRUE(std::includes(cands.begin(), cands.end(), none.begin(), none.end()));
    const auto ref = vocabs.tgt.encode(fr);
    const auto covered = std::count_if(ref.begin(), ref.end(), [&](int32_t t) {
      return std::binary_search(cands.begin(), cands.end(), static_cast<int64_t>(t));
    });
    EXPECT_GE(static_cast<double>(covered), 0.9 * static_cast<double>(ref.size())) << fr;
  }
}

}  // namespace
}  // namespace nmt::search
