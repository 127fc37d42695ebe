// The Translator: text in, text out, in input order, whatever the batching.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "nmt/common/error.h"
#include "nmt/data/vocab.h"
#include "nmt/model/rnnsearch.h"
#include "nmt/search/translator.h"
#include "test_util.h"

namespace nmt::search {
namespace {

class TranslatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    test::train_toy_vocab(*dir_ / "spm.model");
    const auto v = data::Vocab::load(*dir_ / "spm.model");
    vocabs_ = new data::Vocabs{v, v, true};
    torch::manual_seed(11);
    model_ = new model::RNNSearch(test::tiny_rnnsearch(12), v.size(), v.size(), 0.0);
    (*model_)->eval();
  }
  static void TearDownTestSuite() {
    delete model_;
    delete vocabs_;
    delete dir_;
  }

  static std::vector<std::vector<Translation>> translate(const std::vector<std::string>& lines,
                                                         const SearchOptions& options) {
    Translator t(**model_, *vocabs_, options);
    return t.translate(lines);
  }

  static SearchOptions options(int64_t beam, int64_t batch_tokens, int64_t n_best = 1) {
    SearchOptions o;
    o.decoding.beam = beam;
    o.decoding.batch_tokens = batch_tokens;
    o.decoding.max_len_a = 0.5;  // random weights rarely say eos: keep outputs short
    o.decoding.max_len_b = 3;
    o.n_best = n_best;
    return o;
  }

  static test::TempDir* dir_;
  static data::Vocabs* vocabs_;
  static model::RNNSearch* model_;
};
test::TempDir* TranslatorTest::dir_ = nullptr;
data::Vocabs* TranslatorTest::vocabs_ = nullptr;
model::RNNSearch* TranslatorTest::model_ = nullptr;

const std::vector<std::string> kLines = {"the small dog sees the cats .", "", "a woman eats an apple .",
                                         "the boys are reading in the old house with their friends .", "",
                                         "she likes the red car .", "yes ."};

TEST_F(TranslatorTest, KeepsOrderAndEmptyLinesWhateverTheBatching) {
  for (const int64_t beam : {1, 3}) {
    std::vector<std::vector<Translation>> alone;
    for (const auto& line : kLines) alone.push_back(translate({line}, options(beam, 4096)).front());
    // One batch for everything, and batches of a few tokens (one sentence or two each).
    for (const int64_t batch_tokens : {4096, 12, 1}) {
      const auto together = translate(kLines, options(beam, batch_tokens));
      ASSERT_EQ(together.size(), kLines.size());
      for (std::size_t i = 0; i < kLines.size(); ++i) {
        ASSERT_EQ(together[i].size(), 1u) << "line " << i;
        EXPECT_EQ(together[i][0].text, alone[i][0].text) << "beam " << beam << ", batch " << batch_tokens << ", line " << i;
        EXPECT_NEAR(together[i][0].score, alone[i][0].score, 1e-4) << "line " << i;
      }
    }
    for (const std::size_t empty : {1u, 4u}) {
      EXPECT_EQ(alone[empty][0].text, "");
      EXPECT_EQ(alone[empty][0].score, 0.0);
    }
  }
}

TEST_F(TranslatorTest, NBestListsAreBestFirstAndStartWithTheOneBest) {
  const auto one = translate(kLines, options(4, 4096));
  const auto nbest = translate(kLines, options(4, 4096, 3));
  ASSERT_EQ(nbest.size(), kLines.size());
  for (std::size_t i = 0; i < kLines.size(); ++i) {
    if (kLines[i].empty()) {
      EXPECT_EQ(nbest[i].size(), 1u);  // an empty line has one empty translation
      continue;
    }
    ASSERT_EQ(nbest[i].size(), 3u) << "line " << i;
    EXPECT_EQ(nbest[i][0].text, one[i][0].text) << "line " << i;
    for (std::size_t k = 1; k < nbest[i].size(); ++k) EXPECT_LE(nbest[i][k].score, nbest[i][k - 1].score);
  }
}

TEST_F(TranslatorTest, ALineOverTheInputLimitIsCroppedOrRefused) {
  const data::Vocab& v = vocabs_->src;
  const std::string line = kLines[3];
  const auto pieces = v.encode(line);
  ASSERT_GT(pieces.size(), 4u);
  auto o = options(2, 4096);
  o.max_input_length = 4;
  // Cropped: the translation of its first 4 pieces, as if they had been the line.
  const std::string first4 = v.decode(std::vector<int32_t>(pieces.begin(), pieces.begin() + 4));
  ASSERT_EQ(v.encode(first4), std::vector<int32_t>(pieces.begin(), pieces.begin() + 4));
  EXPECT_EQ(translate({"", line}, o)[1][0].text, translate({first4}, options(2, 4096))[0][0].text);
  o.crop = false;
  Translator t(**model_, *vocabs_, o);
  try {
    t.translate({"", line}, 41, "in.txt");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              "in.txt:42: more than --max-input-length 4 pieces (--max-input-length-policy error)");
  }
}

TEST_F(TranslatorTest, NBestOutsideOneToTheBeamIsAnErrorNamingTheFlag) {
  for (const int64_t n : {0, 4}) {
    try {
      translate({"a"}, options(3, 4096, n));
      FAIL() << n;
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()),
                "--n-best must be between 1 and the beam size (3), got " + std::to_string(n));
    }
  }
}

}  // namespace
}  // namespace nmt::search
