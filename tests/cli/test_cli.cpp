// End-to-end checks of the nmt binary: exit codes, stdout/stderr discipline and
// one-line errors that name the file, line or key.
#include <gtest/gtest.h>

#include "../test_util.h"

namespace nmt {
namespace {

using test::expect_error;
using test::run_nmt;

TEST(Cli, VersionReportsTorchBlasAndThreads) {
  const auto r = run_nmt("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("nmt " NMT_VERSION), std::string::npos);
  EXPECT_NE(r.out.find("LibTorch"), std::string::npos);
  EXPECT_NE(r.out.find("BLAS:"), std::string::npos);
  EXPECT_NE(r.out.find("threads:"), std::string::npos);
}

TEST(Cli, HelpOnEveryVerb) {
  for (const std::string verb :
       {"", "train", "translate", "eval", "prepare", "vocab", "config", "average", "bench", "bench train",
        "bench translate"}) {
    const auto r = run_nmt(verb + " --help");
    EXPECT_EQ(r.code, 0) << verb;
    EXPECT_NE(r.out.find("[OPTIONS]"), std::string::npos) << verb;  // CLI11 2.6 drops the "Usage:" before it
  }
}

TEST(Cli, BadUsageExitsTwo) {
  expect_error(run_nmt(""), 2, "subcommand");
  expect_error(run_nmt("frobnicate"), 2, "unknown verb 'frobnicate'");
  expect_error(run_nmt("evl -r x"), 2, "unknown verb 'evl' (did you mean 'eval'?)");
  expect_error(run_nmt("eval --hyp x"), 2, "--ref is required");
  expect_error(run_nmt("eval -r x --metrics bleu,ter"), 2, "unknown metric 'ter'");
}

TEST(Cli, RangesOfFlagsReadAsTheConfigsDo) {
  expect_error(run_nmt("translate -m x --threads -1"), 2, "--threads: must be >= 0, got -1");
  expect_error(run_nmt("bench train -c x --steps 0"), 2, "--steps: must be >= 1, got 0");
  expect_error(run_nmt("bench translate -c x --alpha nan"), 2, "--alpha: expected a number, got 'nan'");
  expect_error(run_nmt("bench translate -c x --limit ten"), 2, "--limit: expected an integer, got 'ten'");
  expect_error(run_nmt("eval -r x -w 11"), 2, "--width: must be in [0, 10], got 11");
}

TEST(Cli, VocabularyTrainsOnOverAMillionLines) {
  // SentencePiece warns past a million sentences; its warning used to crash
  // nmt (src/data/vocab.cpp, minloglevel).
  test::TempDir d;
  std::string text;
  const char* words[] = {"the", "cat", "dog", "sees", "a", "house", "red", "big"};
  for (int i = 0; i < 600000; ++i) {
    for (int w = 0; w < 4; ++w) text += std::string(words[(i * 7 + w * 3 + i / 8) % 8]) + (w < 3 ? " " : "\n");
  }
  test::write_file(d / "a.en", text);
  test::write_file(d / "a.fr", text);
  test::write_file(d / "c.json", R"({"data": {"train": {"src": ")" + (d / "a.en") + R"(", "tgt": ")" + (d / "a.fr") +
                                     R"("}}, "vocab": {"size": 30}, "model_dir": ")" + (d / "m") + R"("})");
  const auto r = run_nmt("-q prepare -c " + (d / "c.json"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(d / "m/spm.model"));
}

TEST(Cli, EvalScoresStdinAndFiles) {
  test::TempDir d;
  test::write_file(d / "ref", "The cat is on the mat.\n");
  test::write_file(d / "hyp", "The cat sat on the mat.\n");
  const auto a = run_nmt("eval -r " + (d / "ref"), "The cat sat on the mat.\n");
  const auto b = run_nmt("eval -r " + (d / "ref") + " --hyp " + (d / "hyp"));
  EXPECT_EQ(a.code, 0);
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.out,
            "  BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:nmt-" NMT_VERSION
            " = 48.89 85.7/66.7/40.0/25.0 (BP = 1.000 ratio = 1.000 hyp_len = 7 ref_len = 7)\n"
            "chrF2|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:nmt-" NMT_VERSION " = 67.17\n");
  EXPECT_EQ(a.err, "");  // nothing but results, and no log noise for a clean run

  const auto j = run_nmt("eval -r " + (d / "ref") + " -m bleu --json", "The cat sat on the mat.\n");
  EXPECT_EQ(j.code, 0);
  EXPECT_NE(j.out.find("\"name\": \"BLEU\""), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("\"score\": 48.89"), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("\"tok\": \"13a\""), std::string::npos) << j.out;
}

TEST(Cli, EvalMultipleReferencesAndOptions) {
  test::TempDir d;
  test::write_file(d / "r1", "the cat sat on the mat\na dog is there\n");
  test::write_file(d / "r2", "there is a cat on the mat\nthere is a dog here\n");
  const auto r = run_nmt("eval -r " + (d / "r1") + " -r " + (d / "r2") + " -m bleu -w 4",
                         "the cat is on the mat\nthere is a dog\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("nrefs:2"), std::string::npos);
  EXPECT_NE(r.out.find(" = 55.3341 "), std::string::npos) << r.out;
  const auto lc = run_nmt("eval -r " + (d / "r1") + " -m bleu --lowercase -t intl", "X\nY\n");
  EXPECT_NE(lc.out.find("case:lc"), std::string::npos);
  EXPECT_NE(lc.out.find("tok:intl"), std::string::npos);
}

// A config whose corpus and model_dir live in `d`.
std::string write_config(const test::TempDir& d, const std::string& extra = "") {
  test::write_file(d / "c.json", R"({
    "data": {"train": {"src": ")" + (d / "train.en") + R"(", "tgt": ")" + (d / "train.fr") + R"("}},
    "vocab": {"size": 120},
    "model_dir": ")" + (d / "model") + "\"" + extra + "}");
  return d / "c.json";
}

TEST(Cli, PrepareBuildsVocabularyCacheAndResolvedConfig) {
  test::TempDir d;
  std::filesystem::copy_file(test::toy("valid.en"), d / "train.en");
  std::filesystem::copy_file(test::toy("valid.fr"), d / "train.fr");
  const auto r = run_nmt("prepare --config " + write_config(d));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");  // logs go to stderr only
  EXPECT_NE(r.err.find("[vocab]"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(d / "model/spm.model"));
  EXPECT_TRUE(std::filesystem::exists(d / "model/cache/train.bin"));
  const std::string resolved = test::slurp(d / "model/config.json");
  EXPECT_NE(resolved.find("\"size\": 120"), std::string::npos);
  EXPECT_NE(resolved.find("\"beam\": 5"), std::string::npos);  // defaults are written out
  // The alias and a second run reuse everything.
  const auto again = run_nmt("vocab --config " + (d / "c.json"));
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.err.find("using cache"), std::string::npos);
}

TEST(Cli, ConfigVerbPrintsResolvedConfig) {
  test::TempDir d;
  const auto r = run_nmt("config --config " + write_config(d) + " --set training.lr=0.01");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"lr\": 0.01"), std::string::npos) << r.out;
  const auto ref = run_nmt("config --reference");
  EXPECT_NE(ref.out.find("| `training.lr` |"), std::string::npos);
}

}  // namespace
}  // namespace nmt
