// End-to-end checks of nmt train, translate and eval --model on a tiny RNNsearch:
// resume equivalence, determinism, interruption and line order. Bad input and
// faults are the robustness suite's (tests/robustness/).
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "../test_util.h"
#include "nmt/model/checkpoint.h"
#include "nmt/model/load.h"

namespace nmt {
namespace {

using test::expect_error;
using test::run_nmt;

// A tiny RNNsearch on 300 toy pairs, with dropout so that resuming has RNG state to restore.
// `training`: keys of the training section (", \"k\": v") that replace or add to the defaults below.
std::string write_config(const test::TempDir& d, const std::string& model_dir, const std::string& training = "") {
  std::string section = R"("log_every": 1)";
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"lr", "0.01"}, {"batch_tokens", "300"}, {"dropout", "0.2"}, {"valid_every", "1000"},
           {"max_steps", "40"}}) {
    if (training.find("\"" + key + "\"") == std::string::npos) section += ", \"" + key + "\": " + value;
  }
  test::write_file(d / "c.json", R"({
    "data": {"train": {"src": ")" + test::toy("valid.en") + R"(", "tgt": ")" + test::toy("valid.fr") + R"("},
             "valid": {"src": ")" + test::toy("test.en") + R"(", "tgt": ")" + test::toy("test.fr") + R"("},
             "max_len": 40},
    "vocab": {"size": 150},
    "model": {"rnnsearch": {"embed_dim": 16, "encoder_hidden": 16, "decoder_hidden": 24, "attention_dim": 16,
                            "maxout_dim": 16}},
    "training": {)" + section + training + R"(},
    "decoding": {"beam": 2},
    "model_dir": ")" + (d / model_dir) + R"("})");
  return d / "c.json";
}

// Loss of every train event in metrics.jsonl, by step.
std::map<int64_t, double> train_losses(const std::string& metrics) {
  std::map<int64_t, double> losses;
  std::istringstream in(test::slurp(metrics));
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j.at("event") == "train") losses[j.at("step").get<int64_t>()] = j.at("loss").get<double>();
  }
  return losses;
}

// One trained model shared by the translate checks.
class TrainedModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    const auto r = run_nmt("train --threads 2 -c " + write_config(*dir_, "model"));
    ASSERT_EQ(r.code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string model() { return *dir_ / "model"; }
  static test::TempDir* dir_;
};
test::TempDir* TrainedModel::dir_ = nullptr;

TEST_F(TrainedModel, TrainWritesTheModelDirectory) {
  for (const char* f : {"config.json", "spm.model", "metrics.jsonl", "train.log", "checkpoints/best.pt",
                        "checkpoints/last.pt", "checkpoints/step-40.pt"}) {
    EXPECT_TRUE(std::filesystem::exists(model() + "/" + f)) << f;
  }
  EXPECT_EQ(train_losses(model() + "/metrics.jsonl").size(), 40u);
  // A second run into the same directory is refused rather than overwriting it.
  test::TempDir d;
  const auto r = run_nmt("train -c " + write_config(d, "x") + " --set model_dir=" + model());
  expect_error(r, 2, "pass --resume");
}

TEST_F(TrainedModel, TranslateKeepsOrderAndEmptyLines) {
  const std::vector<std::string> lines = {"the small dog sees the cats .", "a woman eats an apple .",
                                          "the boys are reading .", "she likes the red car ."};
  std::vector<std::string> alone;
  for (const auto& l : lines) {
    const auto r = run_nmt("translate --threads 1 -m " + model(), l + "\n");
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_EQ(test::count_lines(r.out), 1);
    alone.push_back(r.out.substr(0, r.out.size() - 1));
  }
  // Together, with empty lines between, batched and sorted by length internally.
  std::string input, expected;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    input += lines[i] + "\n\n";
    expected += alone[i] + "\n\n";
  }
  const auto r = run_nmt("translate --threads 1 --batch-tokens 12 -m " + model(), input);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, expected);
  EXPECT_EQ(r.out.find("[vocab]"), std::string::npos);  // logs stay off stdout

  const auto nbest = run_nmt("translate --threads 1 --beam 3 --n-best 3 -m " + model(), lines[0] + "\n");
  ASSERT_EQ(nbest.code, 0) << nbest.err;
  EXPECT_EQ(test::count_lines(nbest.out), 3);
  EXPECT_EQ(nbest.out.rfind("0 ||| ", 0), 0u) << nbest.out;
}

TEST_F(TrainedModel, DecodingFlagsAreCheckedAsTheConfigKeysTheyOverride) {
  const std::string m = " -m " + model();
  expect_error(run_nmt("translate --beam 0" + m, "a\n"), 2, "--beam: must be in [1, 1000], got 0");
  expect_error(run_nmt("translate -b many" + m, "a\n"), 2, "--beam: expected an integer, got string \"many\"");
  expect_error(run_nmt("translate --alpha=-0.5" + m, "a\n"), 2, "--alpha: must be >= 0, got -0.5");
  expect_error(run_nmt("translate --batch-tokens 0" + m, "a\n"), 2, "--batch-tokens: must be >= 1, got 0");
  expect_error(run_nmt("translate --max-len-a 0 --max-len-b 0" + m, "a\n"), 2,
               "--max-len-a and --max-len-b are both 0: no output fits");
  // The model's decoding.beam is 2.
  expect_error(run_nmt("translate --n-best 3" + m, "a\n"), 2, "--n-best must be between 1 and the beam size (2), got 3");
  const std::string src = test::toy("test.en");
  expect_error(run_nmt("eval --beam 1001 --src " + src + " --ref " + src + " --model " + model()), 2,
               "--beam: must be in [1, 1000], got 1001");
  // A valid flag changes the search: beam 1 is greedy.
  const auto greedy = run_nmt("translate --threads 1 --beam 1 --n-best 1" + m, "the boys are reading .\n");
  ASSERT_EQ(greedy.code, 0) << greedy.err;
  EXPECT_EQ(greedy.out.rfind("0 ||| ", 0), 0u) << greedy.out;
}

TEST_F(TrainedModel, EvalTranslatesAndScores) {
  const auto r = run_nmt("eval --threads 2 --model " + model() + " --src " + test::toy("test.en") + " --ref " +
                         test::toy("test.fr") + " --json -m bleu");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("name"), "BLEU") << r.out;
  EXPECT_GT(j.at("score").get<double>(), 0.0) << r.out;
}

// The n-best lines "i ||| text ||| score" of `out`: (i and text, score).
std::vector<std::pair<std::string, double>> nbest_lines(const std::string& out) {
  std::vector<std::pair<std::string, double>> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    const auto cut = line.rfind(" ||| ");
    lines.emplace_back(line.substr(0, cut), std::stod(line.substr(cut + 5)));
  }
  return lines;
}

const std::string kSentences = "the small dog sees the cats .\na woman eats an apple .\nthe boys are reading .\n";

// What int8 keeps of BLEU is Overfit's check (tests/test_train_overfit.cpp):
// this model is too small to translate well enough for a bound to mean much.
TEST_F(TrainedModel, Int8TranslatesOnlyOnTheCpu) {
  const std::string eval = "eval --threads 2 -m bleu --json --src " + test::toy("test.en") + " --ref " +
                           test::toy("test.fr") + " --model " + model();
  const auto int8 = run_nmt(eval + " --int8");
  ASSERT_EQ(int8.code, 0) << int8.err;
  EXPECT_EQ(nlohmann::json::parse(int8.out).at("name"), "BLEU");
  const auto lines = run_nmt("translate --int8 -m " + model(), kSentences);
  ASSERT_EQ(lines.code, 0) << lines.err;
  EXPECT_EQ(test::count_lines(lines.out), 3);
  expect_error(run_nmt("translate --int8 --device cuda -m " + model(), kSentences), 2, "--int8 runs on the CPU");
  expect_error(run_nmt(eval + " --int8 --device cuda:1"), 2, "--int8 runs on the CPU");
}

TEST_F(TrainedModel, AShortlistTranslatesEveryLineInFp32AndInt8) {
  for (const std::string flags : {"", " --int8"}) {
    const auto r = run_nmt("translate --threads 1 --shortlist 20,10 -m " + model() + flags, kSentences);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(test::count_lines(r.out), 3) << flags;
  }
  const auto bench = run_nmt("bench translate --threads 1 --limit 10 --shortlist 20,10 --model " + model() +
                             " --src " + test::toy("test.en") + " --ref " + test::toy("test.fr"));
  ASSERT_EQ(bench.code, 0) << bench.err;
  EXPECT_EQ(nlohmann::json::parse(bench.out).at("shortlist"), "20,10");
}

TEST_F(TrainedModel, AnEnsembleOfTheModelWithItselfTranslatesAsTheModel) {
  const auto alone = run_nmt("translate --threads 1 --n-best 2 -m " + model(), kSentences);
  const auto twice = run_nmt("translate --threads 1 --n-best 2 -m " + model() + " -m " + model(), kSentences);
  ASSERT_EQ(alone.code, 0) << alone.err;
  ASSERT_EQ(twice.code, 0) << twice.err;
  const auto a = nbest_lines(alone.out), b = nbest_lines(twice.out);
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(b[i].first, a[i].first);
    EXPECT_NEAR(b[i].second, a[i].second, 1e-4) << b[i].first;
  }
  const std::string eval = "eval --threads 1 -m bleu --src " + test::toy("test.en") + " --ref " + test::toy("test.fr");
  const auto one = run_nmt(eval + " --model " + model());
  const auto two = run_nmt(eval + " --model " + model() + " --model " + model() + " --weights 2,3");
  ASSERT_EQ(two.code, 0) << two.err;
  EXPECT_EQ(two.out, one.out);
}

TEST_F(TrainedModel, EnsemblesCrossFamiliesAndNeedOneTargetVocabulary) {
  test::TempDir d;
  // A Transformer on the RNNsearch's vocabulary: an ensemble of the two.
  const std::string transformer = " --set model.type=transformer --set model.transformer.encoder_layers=1"
                                  " --set model.transformer.decoder_layers=1 --set model.transformer.d_model=16"
                                  " --set model.transformer.heads=2 --set model.transformer.ff_dim=16";
  auto r = run_nmt("train --threads 2 -c " + write_config(d, "t") + transformer + " --set vocab.path=" + model() +
                   "/spm.model");
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_nmt("translate --threads 1 --weights 0.7,0.3 -m " + model() + " -m " + (d / "t"), kSentences);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(test::count_lines(r.out), 3);
  // Different weights, different distributions: beam 1 still equals greedy through the CLI.
  const auto beam1 = run_nmt("translate --threads 1 --beam 1 -m " + model() + " -m " + (d / "t"), kSentences);
  const auto topk1 = run_nmt("translate --threads 1 --sampling topk:1 -m " + model() + " -m " + (d / "t"), kSentences);
  ASSERT_EQ(beam1.code, 0) << beam1.err;
  EXPECT_EQ(topk1.out, beam1.out);
  // A model with a vocabulary of its own cannot join.
  r = run_nmt("train --threads 2 -c " + write_config(d, "other") + " --set vocab.size=120");
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_nmt("translate -m " + model() + " -m " + (d / "other"), "a\n");
  expect_error(r, 2, "models '" + model() + "' and '" + (d / "other") + "' have different target vocabularies");
  expect_error(run_nmt("translate -m " + model() + " -m " + model() + " --checkpoint best --checkpoint last "
                       "--checkpoint best", "a\n"),
               2, "--checkpoint: 3 given for 2 models; give one for all or one per --model");
  expect_error(run_nmt("translate -m " + model() + " --sampling topk:4 --n-best 2", "a\n"), 2,
               "--n-best needs beam search: --sampling draws one translation per sentence");
}

TEST_F(TrainedModel, SamplingWithTheSameSeedRepeatsItself) {
  const std::string sample = "translate --threads 1 --sampling full --temperature 1.5 -m " + model();
  const auto a = run_nmt(sample + " --seed 4", kSentences);
  const auto b = run_nmt(sample + " --seed 4", kSentences);
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(test::count_lines(a.out), 3);
  // Nucleus sampling with P small enough keeps only the most likely token: greedy search.
  const auto greedy = run_nmt("translate --threads 1 --beam 1 -m " + model(), kSentences);
  const auto nucleus = run_nmt("translate --threads 1 --sampling topp:0.000001 -m " + model(), kSentences);
  ASSERT_EQ(nucleus.code, 0) << nucleus.err;
  EXPECT_EQ(nucleus.out, greedy.out);
}

// The words of a line, as the alignments count them (whitespace-separated).
std::size_t words_in(const std::string& text) {
  std::istringstream in(text);
  std::size_t n = 0;
  for (std::string w; in >> w;) ++n;
  return n;
}

TEST_F(TrainedModel, AlignmentsAndPicturesForBothFamiliesBeamsAndNBest) {
  test::TempDir d;
  const std::string transformer = " --set model.type=transformer --set model.transformer.encoder_layers=1"
                                  " --set model.transformer.decoder_layers=2 --set model.transformer.d_model=16"
                                  " --set model.transformer.heads=2 --set model.transformer.ff_dim=16"
                                  " --set training.max_steps=4 --set training.valid_every=2"
                                  " --set training.plot_attention=2";
  auto r = run_nmt("-q train --threads 2 -c " + write_config(d, "t") + transformer);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const auto& step : {"step-2", "step-4"}) {  // every validation draws the first two dev sentences
    for (const auto& file : {"line-1.png", "line-1.svg", "line-2.png", "line-2.svg"}) {
      EXPECT_TRUE(std::filesystem::exists(d / "t" + "/attention/" + step + "/" + file)) << step << "/" << file;
    }
  }
  const std::string input = "the small dog sees the cats .\n\na woman eats an apple .\n";
  const std::vector<std::string> sources = {"the small dog sees the cats .", "", "a woman eats an apple ."};
  for (const auto& m : {model(), d / "t"}) {
    r = run_nmt("translate --threads 1 -m " + m + " --alignment hard --attention-plot " + (d / "plots"), input);
    ASSERT_EQ(r.code, 0) << r.err;
    std::istringstream out(r.out);
    std::size_t line = 0;
    for (std::string text; std::getline(out, text); ++line) {
      ASSERT_LT(line, sources.size());
      const auto bar = text.find(" ||| ");
      ASSERT_NE(bar, std::string::npos) << text;
      std::istringstream pairs(text.substr(bar + 5));
      for (std::string pair; pairs >> pair;) {
        const auto dash = pair.find('-');
        ASSERT_NE(dash, std::string::npos) << pair;
        EXPECT_LT(std::stoul(pair.substr(0, dash)), words_in(sources[line])) << m << ": " << text;
        EXPECT_LT(std::stoul(pair.substr(dash + 1)), words_in(text.substr(0, bar))) << m << ": " << text;
      }
    }
    EXPECT_EQ(line, sources.size()) << "one line per input line";
    EXPECT_TRUE(std::filesystem::exists(d / "plots/line-1.png") && std::filesystem::exists(d / "plots/line-3.svg"));
    EXPECT_FALSE(std::filesystem::exists(d / "plots/line-2.png")) << "an empty line has no attention to draw";
    std::filesystem::remove_all(d / "plots");
    // n-best: each hypothesis with its own soft alignment, a row of source weights per target word.
    r = run_nmt("translate --threads 1 -m " + m + " --beam 2 --n-best 2 --alignment soft", "the boys are reading .\n");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(test::count_lines(r.out), 2);
    std::istringstream nbest(r.out);
    for (std::string text; std::getline(nbest, text);) {
      const auto fields = text.find(" ||| ");
      const auto translation = text.substr(fields + 5, text.find(" ||| ", fields + 5) - fields - 5);
      std::istringstream rows(text.substr(text.rfind(" ||| ") + 5));
      std::size_t count = 0;
      for (std::string row; rows >> row; ++count) {
        EXPECT_EQ(static_cast<std::size_t>(std::count(row.begin(), row.end(), ',')) + 1, words_in("the boys are reading ."));
      }
      EXPECT_EQ(count, words_in(translation)) << text;
    }
  }
}

TEST(TrainCli, ResumedRunGivesTheSameLossesAsAnUninterruptedOne) {
  // Also with two batches to an update: a checkpoint falls between updates.
  for (const std::string update_freq : {"", R"(, "update_freq": 2)"}) {
    SCOPED_TRACE(update_freq);
    test::TempDir d;
    const auto config = [&](const char* dir, const char* steps) {
      return write_config(d, dir, update_freq + R"(, "max_steps": )" + steps);
    };
    const auto whole = run_nmt("train --threads 2 -c " + config("whole", "8"));
    ASSERT_EQ(whole.code, 0) << whole.err;
    const auto first = run_nmt("train --threads 2 -c " + config("parts", "4"));
    ASSERT_EQ(first.code, 0) << first.err;
    const auto second = run_nmt("train --threads 2 --resume -c " + config("parts", "8"));
    ASSERT_EQ(second.code, 0) << second.err;
    EXPECT_NE(second.err.find("resumed from"), std::string::npos) << second.err;
    const auto a = train_losses(d / "whole/metrics.jsonl");
    const auto b = train_losses(d / "parts/metrics.jsonl");
    ASSERT_EQ(a.size(), 8u);
    ASSERT_EQ(b.size(), 8u);
    for (int64_t step = 1; step <= 8; ++step) EXPECT_EQ(a.at(step), b.at(step)) << "step " << step;
  }
}

// Every parameter of two checkpoints, bit for bit.
void expect_same_weights(const std::string& a, const std::string& b) {
  const auto ma = model::load_model(a, "last", torch::kCPU), mb = model::load_model(b, "last", torch::kCPU);
  const auto pa = ma.model->named_parameters(), pb = mb.model->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& p : pa) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
}

TEST(TrainCli, SameSeedThreadsAndDataGiveBitIdenticalWeightsResumedOrNot) {
  // The conditions (README, Training): same seed, same --threads, same data and
  // build, on the CPU. Dropout is on, so the RNG state is part of what must match.
  test::TempDir d;
  for (const char* dir : {"one", "two"}) {
    const auto r = run_nmt("-q train --threads 2 -c " + write_config(d, dir, R"(, "max_steps": 6)"));
    ASSERT_EQ(r.code, 0) << r.err;
  }
  expect_same_weights(d / "one", d / "two");
  const auto first = run_nmt("-q train --threads 2 -c " + write_config(d, "parts", R"(, "max_steps": 3)"));
  ASSERT_EQ(first.code, 0) << first.err;
  const auto second = run_nmt("-q train --threads 2 --resume -c " + write_config(d, "parts", R"(, "max_steps": 6)"));
  ASSERT_EQ(second.code, 0) << second.err;
  expect_same_weights(d / "one", d / "parts");
}

TEST(TrainCli, ResumedWithEmaItGivesTheSameLossesAndAverage) {
  test::TempDir d;
  const std::string ema = R"(, "ema_decay": 0.9, "valid_every": 4)";
  ASSERT_EQ(run_nmt("-q train --threads 2 -c " + write_config(d, "whole", ema + R"(, "max_steps": 8)")).code, 0);
  ASSERT_EQ(run_nmt("-q train --threads 2 -c " + write_config(d, "parts", ema + R"(, "max_steps": 4)")).code, 0);
  ASSERT_EQ(run_nmt("-q train --threads 2 --resume -c " + write_config(d, "parts", ema + R"(, "max_steps": 8)")).code,
            0);
  EXPECT_EQ(train_losses(d / "whole/metrics.jsonl"), train_losses(d / "parts/metrics.jsonl"));
  // load_model gives a checkpoint's averaged weights when it holds them: the averages match bit for bit.
  expect_same_weights(d / "whole", d / "parts");
  // ... and they are not the raw weights.
  const auto averaged = model::load_model(d / "whole", "last", torch::kCPU);
  auto raw = model::load_model(d / "whole", "last", torch::kCPU);
  model::load_checkpoint(d / "whole/checkpoints/last.pt", *raw.model, nullptr);
  EXPECT_FALSE(torch::equal(averaged.model->parameters().front(), raw.model->parameters().front()));
}

TEST(TrainCli, AverageOfTwoCheckpointsIsTheirMidpoint) {
  test::TempDir d;
  ASSERT_EQ(run_nmt("-q train --threads 2 -c " + write_config(d, "m", R"(, "max_steps": 8, "valid_every": 4)")).code, 0);
  const auto r = run_nmt("average -m " + (d / "m") + " --last 2 -o " + (d / "avg.pt"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  const auto a = model::load_model(d / "m", d / "m/checkpoints/step-4.pt", torch::kCPU);
  const auto b = model::load_model(d / "m", d / "m/checkpoints/step-8.pt", torch::kCPU);
  const auto avg = model::load_model(d / "m", d / "avg.pt", torch::kCPU);
  const auto pb = b.model->named_parameters(), pavg = avg.model->named_parameters();
  for (const auto& p : a.model->named_parameters()) {
    EXPECT_TRUE(torch::allclose(pavg[p.key()], (p.value() + pb[p.key()]) / 2, 1e-6, 1e-7)) << p.key();
  }
  const auto t = run_nmt("-q translate --threads 1 --checkpoint " + (d / "avg.pt") + " -m " + (d / "m"),
                         "the boys are reading .\n");
  EXPECT_EQ(t.code, 0) << t.err;
  EXPECT_EQ(test::count_lines(t.out), 1);
  // A checkpoint of other sizes names both files; too few checkpoints, or none, are usage errors.
  ASSERT_EQ(run_nmt("-q train --threads 2 -c " + write_config(d, "other", R"(, "max_steps": 1)") +
                    " --set model.rnnsearch.embed_dim=8")
                .code,
            0);
  expect_error(run_nmt("average -m " + (d / "m") + " " + (d / "m/checkpoints/step-4.pt") + " " +
                       (d / "other/checkpoints/last.pt") + " -o " + (d / "x.pt")),
               2, "'" + (d / "other/checkpoints/last.pt") + "' is for other model sizes");
  expect_error(run_nmt("average -m " + (d / "m") + " " + (d / "m/checkpoints/step-4.pt") + " " +
                       (d / "other/checkpoints/last.pt") + " -o " + (d / "x.pt")),
               2, "(averaged with '" + (d / "m/checkpoints/step-4.pt") + "')");
  expect_error(run_nmt("average -m " + (d / "m") + " --last 3 -o " + (d / "x.pt")), 2,
               "--last 3: '" + (d / "m") + "/checkpoints' holds 2 numbered checkpoints");
  expect_error(run_nmt("average -m " + (d / "m") + " -o " + (d / "x.pt")), 2, "needs one of --last N, --best N or checkpoint files");
  EXPECT_FALSE(std::filesystem::exists(d / "x.pt"));
}

TEST(TrainCli, KeepBestKeepsTheNBestRankedWithTheirScores) {
  test::TempDir d;
  const auto r = run_nmt("-q train --threads 2 -c " +
                         write_config(d, "m",
                                      R"(, "max_steps": 10, "valid_every": 2, "keep_best": 2,
                                         "early_stopping": {"metric": "loss", "patience": 0})"));
  ASSERT_EQ(r.code, 0) << r.err;
  // The dev losses of the five validations, by step.
  std::map<int64_t, double> dev;
  std::istringstream events(test::slurp(d / "m/metrics.jsonl"));
  for (std::string line; std::getline(events, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j.at("event") == "valid") dev[j.at("step").get<int64_t>()] = j.at("nll").get<double>();
  }
  ASSERT_EQ(dev.size(), 5u);
  std::vector<std::pair<double, int64_t>> by_loss;
  for (const auto& [step, loss] : dev) by_loss.emplace_back(loss, step);
  std::sort(by_loss.begin(), by_loss.end());
  const auto ranking = nlohmann::json::parse(test::slurp(d / "m/checkpoints/best.json"));
  ASSERT_EQ(ranking.size(), 2u) << ranking.dump();
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(ranking[i].at("step").get<int64_t>(), by_loss[i].second) << ranking.dump();
    EXPECT_EQ(ranking[i].at("file"), "best-" + std::to_string(by_loss[i].second) + ".pt");
    EXPECT_TRUE(std::filesystem::exists(d / ("m/checkpoints/" + ranking[i].at("file").get<std::string>())));
  }
  int kept = 0;
  for (const auto& e : std::filesystem::directory_iterator(d / "m/checkpoints")) {
    kept += e.path().filename().string().rfind("best-", 0) == 0;
  }
  EXPECT_EQ(kept, 2);
  const auto avg = run_nmt("average -m " + (d / "m") + " --best 2 -o " + (d / "avg.pt"));
  EXPECT_EQ(avg.code, 0) << avg.err;
  expect_error(run_nmt("average -m " + (d / "m") + " --best 3 -o " + (d / "x.pt")), 2,
               "--best 3: '" + (d / "m") + "/checkpoints' keeps 2 ranked checkpoints");
}

TEST(TrainCli, MaxTimeStopsAfterALastValidationAndTheCheckpoints) {
  test::TempDir d;
  const auto r = run_nmt("train --threads 1 -c " + write_config(d, "model", R"(, "max_steps": 100000)") +
                         " --set training.max_time=3s");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("stopped (max_time) at step"), std::string::npos) << r.err;
  nlohmann::json last_event;
  int64_t last_valid = -1;
  std::istringstream events(test::slurp(d / "model/metrics.jsonl"));
  for (std::string line; std::getline(events, line);) {
    last_event = nlohmann::json::parse(line);
    if (last_event.at("event") == "valid") last_valid = last_event.at("step").get<int64_t>();
  }
  EXPECT_EQ(last_event.at("event"), "end");
  EXPECT_EQ(last_event.at("reason"), "max_time");
  EXPECT_EQ(last_valid, last_event.at("step").get<int64_t>());  // validated at the step it stopped
  EXPECT_LT(last_event.at("elapsed_s").get<double>(), 30.0);
  for (const char* f : {"checkpoints/last.pt", "checkpoints/best.pt"}) {
    EXPECT_TRUE(std::filesystem::exists(d / ("model/" + std::string(f)))) << f;
  }
}

// A bash script that starts `command` in the background with its stderr in
// DIR/err, waits for the first "train" event in `metrics`, runs `then` ($pid
// is the command's) and waits for the command.
std::string once_training(const test::TempDir& d, const std::string& command, const std::string& metrics,
                          const std::string& then) {
  return command + " 2>'" + (d / "err") + "' & pid=$!\nfor i in $(seq 600); do grep -q '\"train\"' '" + metrics +
         "' 2>/dev/null && break; sleep 0.1; done\n" + then + "\nwait $pid";
}

TEST(TrainCli, SigintSavesACheckpointThatResumes) {
  test::TempDir d;
  const std::string config = write_config(d, "model", R"(, "max_steps": 100000)");
  // Start training, wait for its first progress event, then interrupt it.
  const std::string script = once_training(d, "'" + std::string(NMT_BINARY) + "' train --threads 1 -c '" + config + "'",
                                            d / "model/metrics.jsonl", "kill -INT $pid");
  test::write_file(d / "run.sh", script);
  const int status = std::system(("bash '" + (d / "run.sh") + "'").c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGINT) << test::slurp(d / "err");
  EXPECT_NE(test::slurp(d / "err").find("interrupted at step"), std::string::npos) << test::slurp(d / "err");
  EXPECT_TRUE(std::filesystem::exists(d / "model/checkpoints/last.pt"));
  const auto resumed = run_nmt("train --threads 2 --resume -c " + config + " --set training.max_steps=3");
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resumed from"), std::string::npos) << resumed.err;
}

// A handler's frame lands below the interrupted thread's stack pointer, where
// oneDNN's AVX-512 GEMM kernels keep data: a Ctrl-C there corrupted the heap.
// So every thread that computes blocks the handled signals, and one thread of
// nmt's own takes them (OpenBLAS starts none of its own with one thread).
TEST(TrainCli, SignalsReachOnlyAThreadThatDoesNotCompute) {
  test::TempDir d;
  const std::string config = write_config(d, "model", R"(, "max_steps": 100000)");
  const std::string script = once_training(
      d, "OPENBLAS_NUM_THREADS=1 '" + std::string(NMT_BINARY) + "' train --threads 2 -c '" + config + "'",
      d / "model/metrics.jsonl", "grep -h SigBlk /proc/$pid/task/*/status >'" + (d / "masks") + "'; kill -INT $pid");
  test::write_file(d / "run.sh", script);
  const int status = std::system(("bash '" + (d / "run.sh") + "'").c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGINT) << test::slurp(d / "err");
  const uint64_t handled = (1ull << (SIGINT - 1)) | (1ull << (SIGTERM - 1)) | (1ull << (SIGHUP - 1));
  int threads = 0, receiving = 0;
  std::istringstream masks(test::slurp(d / "masks"));
  for (std::string word, hex; masks >> word >> hex; ++threads) {
    const uint64_t blocked = std::stoull(hex, nullptr, 16);
    EXPECT_TRUE((blocked & handled) == handled || (blocked & handled) == 0) << hex;
    if ((blocked & handled) == 0) ++receiving;
  }
  EXPECT_GE(threads, 3);  // the main thread, a second computing one, the receiver
  EXPECT_EQ(receiving, 1) << test::slurp(d / "masks");
}

// --- Data-parallel training (train/distributed.h), on 127.0.0.1 -------------

// The largest difference between two checkpoints' parameters.
double weight_distance(const std::string& a, const std::string& b) {
  const auto ma = model::load_model(a, "last", torch::kCPU), mb = model::load_model(b, "last", torch::kCPU);
  double worst = 0;
  for (const auto& p : ma.model->named_parameters()) {
    worst = std::max(worst, (p.value() - mb.model->named_parameters()[p.key()]).abs().max().item<double>());
  }
  return worst;
}

// Runs a bash script; its exit status.
int run_bash(const test::TempDir& d, const std::string& script) {
  test::write_file(d / "run.sh", script);
  const int status = std::system(("bash '" + (d / "run.sh") + "'").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// WORLD_SIZE=2 RANK=`rank` ... as torchrun would set them, rank 0 serving the store.
std::string rank_env(int rank, int port) {
  return "WORLD_SIZE=2 RANK=" + std::to_string(rank) + " LOCAL_RANK=" + std::to_string(rank) +
         " LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " ";
}

TEST(DataParallel, TwoRanksMakeTheUpdatesOfOneProcessWithUpdateFreq2) {
  // Without dropout the ranks' halves of each update sum to the same gradient.
  test::TempDir d;
  const std::string no_dropout = R"(, "dropout": 0, "max_steps": 6)";
  const auto one = run_nmt("-q train --threads 1 -c " + write_config(d, "one", no_dropout + R"(, "update_freq": 2)"));
  ASSERT_EQ(one.code, 0) << one.err;
  const auto two = run_nmt("-q train --nproc 2 -c " + write_config(d, "two", no_dropout));
  ASSERT_EQ(two.code, 0) << two.err;
  EXPECT_LE(weight_distance(d / "one", d / "two"), 1e-5);
  const auto a = train_losses(d / "one/metrics.jsonl"), b = train_losses(d / "two/metrics.jsonl");
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 6u);
  for (int64_t step = 1; step <= 6; ++step) EXPECT_NEAR(a.at(step), b.at(step), 1e-5) << "step " << step;
  // One rank alone with update_freq 1 takes other batches: the check above can fail.
  const auto alone = run_nmt("-q train --threads 1 -c " + write_config(d, "alone", no_dropout));
  ASSERT_EQ(alone.code, 0) << alone.err;
  EXPECT_GT(weight_distance(d / "alone", d / "two"), 1e-3);
}

TEST(DataParallel, AGroupOfOneRankTrainsAsOneProcess) {
  // What `torchrun --nproc_per_node 1` starts: the collectives run, and change nothing.
  test::TempDir d;
  const auto one = run_nmt("-q train --threads 1 -c " + write_config(d, "one", R"(, "max_steps": 6)"));
  ASSERT_EQ(one.code, 0) << one.err;
  const std::string group = "WORLD_SIZE=1 RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(test::free_port());
  const int code = run_bash(d, group + " '" + NMT_BINARY + "' train --threads 1 -c '" +
                                   write_config(d, "group", R"(, "max_steps": 6)") + "' 2>'" + (d / "err") + "'");
  const std::string err = test::slurp(d / "err");
  ASSERT_EQ(code, 0) << err;
  EXPECT_NE(err.find("data-parallel over 1 rank ("), std::string::npos) << err;  // gloo, or nccl on a GPU
  EXPECT_LE(weight_distance(d / "one", d / "group"), 1e-6);
}

TEST(DataParallel, BenchTrainSumsOverTheGroupAndStopsOnTime) {
  // Synthetic batches read no corpus: data.train names files that do not exist.
  test::TempDir d;
  const std::string config = write_config(d, "model");
  test::write_file(config, std::regex_replace(test::slurp(config), std::regex(R"("train": \{[^}]*\})"),
                                              R"("train": {"src": "/nonexistent.en", "tgt": "/nonexistent.fr"})"));
  const std::string bench = "'" + std::string(NMT_BINARY) + "' -q bench train --threads 1 --synthetic-len 6 -c '" +
                            config + "' --warmup 1 --steps 3 --gemm-size 64";
  ASSERT_EQ(run_bash(d, bench + " >'" + (d / "plain") + "' 2>'" + (d / "err") + "'"), 0) << test::slurp(d / "err");
  const auto plain = nlohmann::json::parse(test::slurp(d / "plain"));
  EXPECT_EQ(plain.at("steps"), 3);
  EXPECT_EQ(plain.at("world_size"), 1);
  EXPECT_EQ(plain.at("backend"), "");  // no process group
  const std::string group = "WORLD_SIZE=1 RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(test::free_port());
  ASSERT_EQ(run_bash(d, group + " " + bench + " --seconds 0.000001 >'" + (d / "group") + "' 2>'" + (d / "err") + "'"), 0)
      << test::slurp(d / "err");
  EXPECT_EQ(test::slurp(d / "err"), "");  // -q: nothing on stderr, Gloo's own connection lines included
  const auto grouped = nlohmann::json::parse(test::slurp(d / "group"));
  EXPECT_EQ(grouped.at("steps"), 1);  // the first timed update took longer than --seconds
  EXPECT_EQ(grouped.at("world_size"), 1);
  EXPECT_EQ(grouped.at("backend"), "gloo");
  EXPECT_GT(grouped.at("collective_share").get<double>(), 0.0);
}

TEST(DataParallel, AResumedTwoRankRunGivesTheSameLossesAndOnlyWithTwoRanks) {
  // Dropout is on: each rank's random state is saved and restored.
  test::TempDir d;
  ASSERT_EQ(run_nmt("-q train --nproc 2 -c " + write_config(d, "whole", R"(, "max_steps": 8)")).code, 0);
  ASSERT_EQ(run_nmt("-q train --nproc 2 -c " + write_config(d, "parts", R"(, "max_steps": 4)")).code, 0);
  const std::string resume = "-q train --resume -c " + write_config(d, "parts", R"(, "max_steps": 8)");
  expect_error(run_nmt(resume), 2, "was trained by 2 processes; resume it with 2");
  const auto resumed = run_nmt(resume + " --nproc 2");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  const auto a = train_losses(d / "whole/metrics.jsonl"), b = train_losses(d / "parts/metrics.jsonl");
  ASSERT_EQ(a.size(), 8u);
  ASSERT_EQ(b.size(), 8u);
  for (int64_t step = 1; step <= 8; ++step) EXPECT_EQ(a.at(step), b.at(step)) << "step " << step;
  EXPECT_EQ(weight_distance(d / "whole", d / "parts"), 0.0);
}

TEST(DataParallel, AKilledRankMakesTheOtherStopWithAnErrorNamingIt) {
  test::TempDir d;
  const std::string config = write_config(d, "model", R"(, "max_steps": 100000, "dist_timeout": "60s")");
  const int port = test::free_port();
  const std::string nmt = "'" + std::string(NMT_BINARY) + "' train -c '" + config + "'";
  // Both ranks train; once rank 0 has logged an update, rank 1 is killed.
  const auto t0 = std::chrono::steady_clock::now();
  const int code = run_bash(
      d, rank_env(0, port) + nmt + " 2>'" + (d / "err0") + "' & r0=$!\n" + rank_env(1, port) + nmt + " 2>'" +
             (d / "err1") + "' & r1=$!\nfor i in $(seq 600); do grep -q '\"train\"' '" + (d / "model/metrics.jsonl") +
             "' 2>/dev/null && break; sleep 0.1; done\nkill -9 $r1\nwait $r0");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string err = test::slurp(d / "err0");
  EXPECT_EQ(code, 1) << err;
  EXPECT_LT(secs, 60) << err;
  EXPECT_NE(err.find("rank 1 stopped answering"), std::string::npos) << err;
  EXPECT_EQ(test::count_lines(err.substr(err.find("nmt: error:"))), 1) << err;
}

// Under --nproc, a rank that only lost another says nothing: the one that
// failed says why, or the launcher says how it ended.
TEST(DataParallel, UnderNprocOneLineSaysWhyTheRanksStopped) {
  test::TempDir d;
  const auto missing = run_nmt("-q train --nproc 2 -c " + write_config(d, "a") + " --set data.train.src=" +
                               (d / "none.en"));
  EXPECT_EQ(missing.code, 2) << missing.err;
  EXPECT_EQ(test::count_lines(missing.err), 1) << missing.err;
  EXPECT_NE(missing.err.find("none.en"), std::string::npos) << missing.err;

  const std::string config = write_config(d, "b", R"(, "max_steps": 100000)");
  const int code = run_bash(d, once_training(d, "'" + std::string(NMT_BINARY) + "' -q train --nproc 2 -c '" + config + "'",
                                             d / "b/metrics.jsonl", "kill -KILL $(pgrep -P $pid | sort -n | tail -1)"));
  const std::string err = test::slurp(d / "err");
  EXPECT_EQ(code, 1) << err;
  EXPECT_EQ(test::count_lines(err), 1) << err;
  EXPECT_NE(err.find("rank 1 was killed by signal 9"), std::string::npos) << err;
}

TEST(DataParallel, SigtermToOneRankStopsEveryRankWithLastPtSaved) {
  test::TempDir d;
  const std::string config = write_config(d, "model", R"(, "max_steps": 100000)");
  // nmt train --nproc 2 runs; once it has logged an update, rank 1 alone gets SIGTERM.
  const int code = run_bash(d, once_training(d, "'" + std::string(NMT_BINARY) + "' train --nproc 2 -c '" + config + "'",
                                             d / "model/metrics.jsonl", "kill -TERM $(pgrep -P $pid | sort -n | tail -1)"));
  const std::string err = test::slurp(d / "err");
  EXPECT_EQ(code, 128 + SIGTERM) << err;  // every rank stops as the one the SIGTERM reached
  EXPECT_NE(err.find("interrupted at step"), std::string::npos) << err;
  const auto resumed = run_nmt("-q train --nproc 2 --resume -c " + config + " --set training.max_steps=" +
                               std::to_string(train_losses(d / "model/metrics.jsonl").rbegin()->first + 2));
  EXPECT_EQ(resumed.code, 0) << resumed.err;
}

TEST(DataParallel, SigintToTheLauncherStopsEveryRankAndExits130) {
  test::TempDir d;
  const std::string config = write_config(d, "model", R"(, "max_steps": 100000)");
  const int code = run_bash(d, once_training(d, "'" + std::string(NMT_BINARY) + "' train --nproc 2 -c '" + config + "'",
                                             d / "model/metrics.jsonl", "kill -INT $pid"));
  const std::string err = test::slurp(d / "err");
  EXPECT_EQ(code, 128 + SIGINT) << err;
  EXPECT_NE(err.find("interrupted at step"), std::string::npos) << err;
  EXPECT_TRUE(std::filesystem::exists(d / "model/checkpoints/last.pt"));
}

TEST(DataParallel, TorchrunStartsTheRanks) {
  const std::string torchrun = "/usr/bin/torchrun";
  if (!std::filesystem::exists(torchrun)) GTEST_SKIP() << "no torchrun (Debian: python3-torch)";
  // torchrun's own interpreter (its #! line), which has its torch: the first python3 on PATH may not.
  std::string python = test::slurp(torchrun);
  python = python.substr(2, python.find('\n') - 2);
  test::TempDir d;
  const std::string config = write_config(d, "model", R"(, "max_steps": 4)");
  // Debian's torchrun 1.13 under Python 3.11 cannot parse its default --redirects/--tee of 0 (an
  // enum change): any other value works, and this one still shows stdout. Debian's 2.6 cannot make
  // its own stores (they ask for libuv, which it lacks): scripts/torchrun.py is torchrun without that.
  const int code = run_bash(d, "'" + python + "' '" + NMT_SOURCE_DIR + "/scripts/torchrun.py' --no_python "
                                   "--nproc_per_node 2 --redirects 1 --tee 1 --master_port " + std::to_string(test::free_port()) +
                                   " '" + NMT_BINARY + "' -q train -c '" + config + "' >'" + (d / "out") + "' 2>&1");
  ASSERT_EQ(code, 0) << test::slurp(d / "out");
  EXPECT_EQ(train_losses(d / "model/metrics.jsonl").size(), 4u);
  EXPECT_TRUE(std::filesystem::exists(d / "model/checkpoints/last.pt"));
}

}  // namespace
}  // namespace nmt
