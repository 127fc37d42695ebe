#include <gtest/gtest.h>

#include "nmt/common/error.h"
#include "nmt/data/vocab.h"
#include "test_util.h"

namespace nmt::data {
namespace {

class VocabTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    test::train_toy_vocab(*dir_ / "spm.model");
  }
  static void TearDownTestSuite() { delete dir_; }
  static test::TempDir* dir_;
};
test::TempDir* VocabTest::dir_ = nullptr;

TEST_F(VocabTest, SpecialIdsAreFixed) {
  const Vocab v = Vocab::load(*dir_ / "spm.model");
  EXPECT_EQ(v.size(), 300);
  const auto ids = v.encode("the cat");
  for (const int32_t id : ids) EXPECT_GT(id, kEos);
}

TEST_F(VocabTest, EncodeDecodeRoundTrips) {
  const Vocab v = Vocab::load(*dir_ / "spm.model");
  for (const std::string s : {"Le petit chat mange du pain.", "Est-ce que les filles sont heureuses ?",
                              "Où est l'école ?", "The children don't sleep.", ""}) {
    EXPECT_EQ(v.decode(v.encode(s)), s);
  }
  // Unknown characters come back as unk, never crash.
  const auto ids = v.encode("日本");
  EXPECT_FALSE(ids.empty());
}

TEST_F(VocabTest, DecodeSkipsSpecials) {
  const Vocab v = Vocab::load(*dir_ / "spm.model");
  auto ids = v.encode("le chat");
  ids.insert(ids.begin(), kBos);
  ids.push_back(kEos);
  ids.push_back(kPad);
  EXPECT_EQ(v.decode(ids), "le chat");
}

TEST_F(VocabTest, TrainingIsDeterministic) {
  test::TempDir other;
  test::train_toy_vocab(other / "spm.model");
  EXPECT_EQ(test::slurp(other / "spm.model"), test::slurp(*dir_ / "spm.model"));
}

TEST_F(VocabTest, PerLanguageAndBpeModels) {
  test::TempDir d;
  VocabConfig vc;
  vc.model_type = VocabModel::bpe;
  vc.size = 200;
  train_vocab({test::toy("train.fr")}, vc, d / "tgt.model", 1);
  const Vocab v = Vocab::load(d / "tgt.model");
  EXPECT_EQ(v.size(), 200);
  EXPECT_EQ(v.decode(v.encode("les chevaux")), "les chevaux");
}

TEST(Vocab, LinesOverSentencePiecesLimitAreLeftOutNotACrash) {
  // SentencePiece's trainer crashed on a line of a few kilobytes; such lines never reach it.
  test::TempDir d;
  std::string huge;
  for (int i = 0; i < 4000; ++i) huge += "word" + std::to_string(i) + " ";
  test::write_file(d / "corpus.txt", test::slurp(test::toy("train.en")) + huge + "\n" + std::string(100000, 'x') + "\n");
  VocabConfig vc;
  vc.size = 300;
  train_vocab({d / "corpus.txt"}, vc, d / "spm.model", 1);
  const Vocab v = Vocab::load(d / "spm.model");
  EXPECT_EQ(v.size(), 300);
  EXPECT_EQ(v.decode(v.encode("the small dog")), "the small dog");
}

TEST(Vocab, TooLargeSizeIsAConfigError) {
  test::TempDir d;
  test::write_file(d / "tiny.txt", "a b\nb c\n");
  VocabConfig vc;
  vc.size = 5000;
  try {
    train_vocab({d / "tiny.txt"}, vc, d / "spm.model", 1);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("vocab.size (5000)"), std::string::npos) << e.what();
  }
}

TEST(Vocab, LoadErrorsNameTheFile) {
  test::TempDir d;
  test::write_file(d / "bad.model", "not a model");
  try {
    Vocab::load(d / "bad.model");
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(d / "bad.model"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Vocab::load(d / "missing.model"), DataError);
}

TEST(Vocab, InvalidUtf8InTrainingDataNamesFileAndLine) {
  test::TempDir d;
  test::write_file(d / "bad.txt", "fine\nalso fine\nbroken \xC3\x28 here\n");
  VocabConfig vc;
  vc.size = 50;
  try {
    train_vocab({d / "bad.txt"}, vc, d / "spm.model", 1);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), (d / "bad.txt") + ":3: invalid UTF-8 at byte 8");
  }
}

}  // namespace
}  // namespace nmt::data
