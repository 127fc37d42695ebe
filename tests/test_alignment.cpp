// Attention as users see it: the models' teacher-forced attention, the
// translator's per-hypothesis attention, word alignments in Marian's formats.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "nmt/common/error.h"
#include "nmt/model/rnnsearch.h"
#include "nmt/model/transformer.h"
#include "nmt/search/alignment.h"
#include "nmt/search/translator.h"
#include "test_util.h"

namespace nmt {
namespace {

const auto kSrc = torch::tensor({{5, 6, 7, 8, 3}, {9, 10, 3, 0, 0}});
const auto kTgt = torch::tensor({{2, 11, 12, 13}, {2, 14, 0, 0}});

void expect_distributions_zero_on_padding(const torch::Tensor& w) {
  ASSERT_EQ(w.sizes(), (std::vector<int64_t>{2, 4, 5}));
  EXPECT_TRUE(torch::allclose(w.sum(-1), torch::ones({2, 4}), 1e-5, 1e-6));
  EXPECT_EQ(w[1].slice(1, 3).abs().max().item<float>(), 0.0f);  // the second sentence's padding
}

TEST(Attention, RnnsearchTeacherForcedEqualsTheSearchStepsWeights) {
  torch::manual_seed(3);
  model::RNNSearch m(test::tiny_rnnsearch(), 20, 20, 0.0);
  m->eval();
  torch::NoGradGuard no_grad;
  const auto mask = kSrc.ne(0);
  const auto w = m->attention(kSrc, mask, kTgt, {});
  expect_distributions_zero_on_padding(w);
  auto state = m->init_state(m->encode(kSrc, mask));
  for (int64_t i = 0; i < kTgt.size(1); ++i) {
    EXPECT_TRUE(torch::allclose(m->step(kTgt.select(1, i), state).attention, w.select(1, i), 1e-5, 1e-6)) << i;
  }
  EXPECT_THROW(m->attention(kSrc, mask, kTgt, {1, -1}), std::out_of_range);
}

TEST(Attention, TransformerLayersAndHeadsAverageToTheDefault) {
  torch::manual_seed(4);
  model::Transformer m(test::tiny_transformer(), 20, 20, 0.0);
  m->eval();
  torch::NoGradGuard no_grad;
  const auto mask = kSrc.ne(0);
  const auto mean = m->attention(kSrc, mask, kTgt, {});
  expect_distributions_zero_on_padding(mean);
  torch::Tensor sum = torch::zeros_like(mean);
  for (int64_t layer = 0; layer < m->attention_layers(); ++layer) {
    torch::Tensor layer_sum = torch::zeros_like(mean);
    for (int64_t head = 0; head < m->attention_heads(); ++head) {
      const auto w = m->attention(kSrc, mask, kTgt, {layer, head});
      expect_distributions_zero_on_padding(w);
      layer_sum += w;
    }
    EXPECT_TRUE(torch::allclose(layer_sum / m->attention_heads(), m->attention(kSrc, mask, kTgt, {layer, -1}), 1e-5,
                                1e-6));
    sum += layer_sum;
  }
  EXPECT_TRUE(torch::allclose(sum / (m->attention_layers() * m->attention_heads()), mean, 1e-5, 1e-6));
  EXPECT_THROW(m->attention(kSrc, mask, kTgt, {2, -1}), std::out_of_range);
  EXPECT_THROW(m->attention(kSrc, mask, kTgt, {-1, 4}), std::out_of_range);
}

TEST(Attention, EveryHypothesisOfABeamCarriesItsOwnAttention) {
  test::TempDir dir;
  test::train_toy_vocab(dir / "spm.model");
  const auto v = data::Vocab::load(dir / "spm.model");
  const data::Vocabs vocabs{v, v, true};
  torch::manual_seed(5);
  model::Transformer m(test::tiny_transformer(), v.size(), v.size(), 0.0);
  m->eval();
  search::SearchOptions o;
  o.decoding.beam = 3;
  o.decoding.max_len_a = 0.5;
  o.decoding.max_len_b = 3;
  o.n_best = 3;
  o.attention = model::AttentionChoice{};
  search::Translator translator(*m, vocabs, o);
  const std::vector<std::string> lines = {"the small dog sees the cats .", "", "yes ."};
  const auto out = translator.translate(lines);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[1].front().attention.empty());  // an empty line has nothing to attend to
  for (const std::size_t i : {0u, 2u}) {
    ASSERT_EQ(out[i].size(), 3u);
    const auto source = v.encode(lines[i]);
    for (const auto& t : out[i]) {
      ASSERT_EQ(t.source_pieces.size(), source.size() + 1);
      EXPECT_EQ(t.source_pieces.back(), "</s>");
      EXPECT_EQ(t.target_pieces.back(), "</s>");
      ASSERT_EQ(t.attention.size(), t.target_pieces.size());
      for (const auto& row : t.attention) {
        ASSERT_EQ(row.size(), t.source_pieces.size());
        float sum = 0;
        for (const float w : row) sum += w;
        EXPECT_NEAR(sum, 1.0f, 1e-4);
      }
    }
  }
}

TEST(Alignment, PiecesGroupIntoWordsAtTheWordStartMark) {
  EXPECT_EQ(search::word_of_pieces({"\xE2\x96\x81Un", "\xE2\x96\x81hom", "me", ".", "\xE2\x96\x81x", "</s>"}),
            (std::vector<int64_t>{0, 1, 1, 1, 2, 2}));
  EXPECT_EQ(search::word_of_pieces({"de", "\xE2\x96\x81" "a"}), (std::vector<int64_t>{0, 1}));  // a first piece starts a word
  // A bare space belongs to the word after it: "le ." is two words; at the end, to the last word.
  EXPECT_EQ(search::word_of_pieces({"\xE2\x96\x81le", "\xE2\x96\x81", ".", "\xE2\x96\x81"}),
            (std::vector<int64_t>{0, 1, 1, 1}));
  EXPECT_EQ(search::word_of_pieces({"\xE2\x96\x81"}), (std::vector<int64_t>{-1}));
}

TEST(Alignment, SubwordAttentionSumsToWordsAndPrintsAsMarianDoes) {
  // Source pieces: [▁two] [▁do gs] </s>; target pieces: [▁deux] [▁chi ens] </s>.
  const search::Matrix subwords = {
      {0.8f, 0.1f, 0.0f, 0.1f},  // ▁deux
      {0.1f, 0.3f, 0.4f, 0.2f},  // ▁chi
      {0.0f, 0.5f, 0.3f, 0.2f},  // ens
      {0.1f, 0.1f, 0.1f, 0.7f},  // </s>: left out
  };
  const std::vector<int64_t> tgt_words = {0, 1, 1}, src_words = {0, 1, 1};  // eos maps to no word
  const auto words = search::word_attention(subwords, tgt_words, src_words);
  ASSERT_EQ(words.size(), 2u);
  EXPECT_NEAR(words[0][0], 0.8f / 0.9f, 1e-6);
  EXPECT_NEAR(words[0][1], 0.1f / 0.9f, 1e-6);
  EXPECT_NEAR(words[1][0], 0.1f / 1.6f, 1e-6);  // (0.1 + 0) over (0.1 + 0 + 0.3 + 0.4 + 0.5 + 0.3)
  EXPECT_NEAR(words[1][1], 1.5f / 1.6f, 1e-6);
  using Kind = search::AlignmentFormat::Kind;
  EXPECT_EQ(search::format_alignment(words, {Kind::hard, 0}), "0-0 1-1");
  EXPECT_EQ(search::format_alignment({{0.2f, 0.7f, 0.1f}, {0.6f, 0.1f, 0.3f}}, {Kind::hard, 0}), "0-1 1-0");
  // Pairs above the threshold, sorted by source word then target word.
  EXPECT_EQ(search::format_alignment({{0.5f, 0.5f}, {0.9f, 0.1f}}, {Kind::threshold, 0.3}), "0-0 0-1 1-0");
  EXPECT_EQ(search::format_alignment({{0.5f, 0.25f, 0.25f}, {0.125f, 0.875f, 0.0f}}, {Kind::soft, 0}),
            "0.5,0.25,0.25 0.125,0.875,0");
}

TEST(Alignment, TheFormatIsHardSoftOrAThresholdInsideZeroOne) {
  EXPECT_EQ(search::AlignmentFormat::parse("hard").kind, search::AlignmentFormat::Kind::hard);
  EXPECT_EQ(search::AlignmentFormat::parse("soft").kind, search::AlignmentFormat::Kind::soft);
  EXPECT_DOUBLE_EQ(search::AlignmentFormat::parse("0.25").threshold, 0.25);
  for (const char* bad : {"", "word", "0", "1", "1.5", "-0.2", "0.5x", "nan"}) {
    EXPECT_THROW(search::AlignmentFormat::parse(bad), ConfigError) << bad;
  }
}

}  // namespace
}  // namespace nmt
