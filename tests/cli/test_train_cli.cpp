// End-to-end checks of nmt train, translate and eval --model on a tiny RNNsearch:
// resume equivalence, interruption, line order, and errors naming the file.
#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "../test_util.h"
#include "nmt/model/load.h"

namespace nmt {
namespace {

using test::expect_error;
using test::run_nmt;

// A tiny RNNsearch on 300 toy pairs, with dropout so that resuming has RNG state to restore.
std::string write_config(const test::TempDir& d, const std::string& model_dir, const std::string& training = "") {
  test::write_file(d / "c.json", R"({
    "data": {"train": {"src": ")" + test::toy("valid.en") + R"(", "tgt": ")" + test::toy("valid.fr") + R"("},
             "valid": {"src": ")" + test::toy("test.en") + R"(", "tgt": ")" + test::toy("test.fr") + R"("},
             "max_len": 40},
    "vocab": {"size": 150},
    "model": {"rnnsearch": {"embed_dim": 16, "encoder_hidden": 16, "decoder_hidden": 24, "attention_dim": 16,
                            "maxout_dim": 16}},
    "training": {"lr": 0.01, "batch_tokens": 300, "dropout": 0.2, "log_every": 1, "valid_every": 1000,
                 "max_steps": 40)" + training + R"(},
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
  expect_error(run_nmt("eval --beam 1001 --src x --ref x --model " + model()), 2, "--beam: must be in [1, 1000], got 1001");
  // A valid flag changes the search: beam 1 is greedy.
  const auto greedy = run_nmt("translate --threads 1 --beam 1 --n-best 1" + m, "the boys are reading .\n");
  ASSERT_EQ(greedy.code, 0) << greedy.err;
  EXPECT_EQ(greedy.out.rfind("0 ||| ", 0), 0u) << greedy.out;
}

// Runs a bash script; returns its exit status and what it wrote to stderr.
test::RunResult run_bash(const test::TempDir& d, const std::string& script) {
  test::write_file(d / "run.sh", script);
  const int status = std::system(("bash '" + (d / "run.sh") + "' 2>'" + (d / "run.err") + "'").c_str());
  test::RunResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.err = test::slurp(d / "run.err");
  return r;
}

std::string nmt_command() { return "'" + std::string(NMT_BINARY) + "'"; }

TEST_F(TrainedModel, OutputThatCannotBeWrittenIsARuntimeFailure) {
  test::TempDir d;
  test::write_file(d / "in", "the boys are reading .\na woman eats an apple .\n");
  const std::string translate = nmt_command() + " -q translate --threads 1 -m '" + model() + "' <'" + (d / "in") + "'";
  expect_error(run_bash(d, translate + " >/dev/full"), 1, "cannot write to standard output: No space left on device");
  expect_error(run_bash(d, translate + " >&-"), 1, "cannot write to standard output: Bad file descriptor");
  expect_error(run_bash(d, nmt_command() + " eval -r '" + (d / "in") + "' <'" + (d / "in") + "' >/dev/full"), 1,
               "cannot write to standard output");
  // A reader that stops early ends the writer quietly, as it ends `yes`.
  std::string many;
  for (int i = 0; i < 3000; ++i) many += "the boys are reading .\n";
  test::write_file(d / "many", many);
  const auto r = run_bash(d, nmt_command() + " -q translate --threads 1 -m '" + model() + "' <'" + (d / "many") +
                                 "' | head -n 1 >/dev/null; exit ${PIPESTATUS[0]}");
  EXPECT_TRUE(r.code == 0 || r.code == 141) << r.code;
  EXPECT_EQ(r.err, "");
}

TEST_F(TrainedModel, AFileSizeLimitFailsTheCheckpointAndKeepsThePreviousOne) {
  test::TempDir d;
  std::filesystem::copy(model(), d / "m", std::filesystem::copy_options::recursive);
  const std::string last = d / "m/checkpoints/last.pt";
  const std::string before = test::slurp(last);
  // Checkpoints of this model are about 300 KB; the limit lets the logs through.
  const auto r = run_bash(d, "ulimit -f 200; " + nmt_command() + " -q train --threads 2 --resume -c '" +
                                 write_config(d, "m") + "' --set training.max_steps=45");
  expect_error(r, 1, "cannot write '" + (d / "m/checkpoints/step-45.pt") + "': File too large");
  EXPECT_EQ(test::slurp(last), before);
  for (const auto& entry : std::filesystem::directory_iterator(d / "m/checkpoints")) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

TEST_F(TrainedModel, ALongInputLineIsCroppedWithAWarningOrRefused) {
  std::string longest;
  for (int i = 0; i < 20000; ++i) longest += "the small dog sees the cats . ";  // 600 KB, far over data.max_len
  const std::string input = "the boys are reading .\n" + longest + "\na woman eats an apple .\n";
  const auto r = run_nmt("translate --threads 1 -m " + model(), input);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(test::count_lines(r.out), 3);
  EXPECT_NE(r.err.find("<stdin>: line 2: more than --max-input-length 40 pieces, cropped to them"), std::string::npos)
      << r.err;
  expect_error(run_nmt("-q translate --threads 1 --max-input-length-policy error -m " + model(), input), 2,
               "<stdin>: line 2: more than --max-input-length 40 pieces (--max-input-length-policy error)");
  // A limit of the user's: a line of 5 pieces is now too long.
  expect_error(run_nmt("-q translate --max-input-length 3 --max-input-length-policy error -m " + model(),
                       "the boys are reading .\n"),
               2, "<stdin>: line 1: more than --max-input-length 3 pieces");
}

TEST_F(TrainedModel, EvalTranslatesAndScores) {
  const auto r = run_nmt("eval --threads 2 --model " + model() + " --src " + test::toy("test.en") + " --ref " +
                         test::toy("test.fr") + " --json -m bleu");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("name"), "BLEU") << r.out;
  EXPECT_GT(j.at("score").get<double>(), 0.0) << r.out;
}

TEST_F(TrainedModel, BadModelsAndInputGiveOneLineNamingTheFile) {
  test::TempDir d;
  expect_error(run_nmt("translate -m " + (d / "none"), "a\n"), 2, d / "none");
  std::filesystem::copy(model(), d / "m", std::filesystem::copy_options::recursive);
  const std::string best = d / "m/checkpoints/best.pt";
  const auto size = std::filesystem::file_size(best);
  std::filesystem::resize_file(best, size / 2);
  expect_error(run_nmt("translate -m " + (d / "m"), "a\n"), 2, best);
  std::filesystem::resize_file(best, size);  // now zeros in the second half
  expect_error(run_nmt("translate -m " + (d / "m"), "a\n"), 2, best);
  test::write_file(best, std::string(size, 'x'));
  expect_error(run_nmt("translate -m " + (d / "m"), "a\n"), 2, best);
  expect_error(run_nmt("-q translate -m " + model(), "ok\n\xC3\x28\n"), 2, "<stdin>: line 2: invalid UTF-8");
  expect_error(run_nmt("translate --device tpu -m " + model(), "a\n"), 2, "--device");
  // Paths of the wrong kind say so, rather than "does not exist".
  expect_error(run_nmt("translate -m " + (d / "m/config.json"), "a\n"), 2, "is a file, not a directory");
  expect_error(run_nmt("translate --checkpoint " + (d / "m") + " -m " + model(), "a\n"), 2,
               "checkpoint '" + (d / "m") + "' is not a file");
}

TEST(TrainCli, ResumedRunGivesTheSameLossesAsAnUninterruptedOne) {
  test::TempDir d;
  const auto whole = run_nmt("train --threads 2 -c " + write_config(d, "whole", R"(, "max_steps": 8)"));
  ASSERT_EQ(whole.code, 0) << whole.err;
  const auto first = run_nmt("train --threads 2 -c " + write_config(d, "parts", R"(, "max_steps": 4)"));
  ASSERT_EQ(first.code, 0) << first.err;
  const auto second = run_nmt("train --threads 2 --resume -c " + write_config(d, "parts", R"(, "max_steps": 8)"));
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_NE(second.err.find("resumed from"), std::string::npos) << second.err;
  const auto a = train_losses(d / "whole/metrics.jsonl");
  const auto b = train_losses(d / "parts/metrics.jsonl");
  ASSERT_EQ(a.size(), 8u);
  ASSERT_EQ(b.size(), 8u);
  for (int64_t step = 1; step <= 8; ++step) EXPECT_EQ(a.at(step), b.at(step)) << "step " << step;
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

TEST(TrainCli, KilledAtRandomMomentsItResumesFromAnIntactCheckpoint) {
  test::TempDir d;
  // A checkpoint every 2 updates, so that kills land in checkpoint writes too.
  const std::string config = write_config(d, "model", R"(, "max_steps": 60, "valid_every": 2, "early_stopping": {"patience": 0})");
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> delay_ms(300, 1500);
  for (int kill = 0; kill < 5; ++kill) {
    const bool resume = std::filesystem::exists(d / "model/checkpoints/last.pt");
    const auto r = run_bash(d, nmt_command() + " -q train --threads 1 " + (resume ? "--resume " : "") + "-c '" +
                                   config + "' & pid=$!; sleep " + std::to_string(delay_ms(rng) / 1000.0) +
                                   "; kill -KILL $pid; wait $pid; exit 0");
    ASSERT_EQ(r.code, 0) << r.err;
    if (std::filesystem::exists(d / "model/checkpoints/last.pt")) {
      EXPECT_NO_THROW(model::load_model(d / "model", "last", torch::kCPU)) << "after kill " << kill;
    }
  }
  const bool resume = std::filesystem::exists(d / "model/checkpoints/last.pt");
  const auto done = run_nmt("train --threads 2 " + std::string(resume ? "--resume " : "") + "-c " + config);
  ASSERT_EQ(done.code, 0) << done.err;
  EXPECT_NE(done.err.find("stopped (max_steps) at step 60"), std::string::npos) << done.err;
  // What the killed runs were writing is gone.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(d / "model")) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  }
}

TEST(TrainCli, SigintSavesACheckpointThatResumes) {
  test::TempDir d;
  const std::string config = write_config(d, "model", R"(, "max_steps": 100000)");
  // Start training, wait for its first progress event, then interrupt it.
  const std::string script = "'" + std::string(NMT_BINARY) + "' train --threads 1 -c '" + config + "' 2>'" +
                             (d / "err") + "' & pid=$!; for i in $(seq 600); do grep -q '\"train\"' '" +
                             (d / "model/metrics.jsonl") + "' 2>/dev/null && break; sleep 0.1; done; kill -INT $pid; "
                             "wait $pid";
  test::write_file(d / "run.sh", script);
  const int status = std::system(("bash '" + (d / "run.sh") + "'").c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << test::slurp(d / "err");
  EXPECT_NE(test::slurp(d / "err").find("interrupted at step"), std::string::npos) << test::slurp(d / "err");
  EXPECT_TRUE(std::filesystem::exists(d / "model/checkpoints/last.pt"));
  const auto resumed = run_nmt("train --threads 2 --resume -c " + config + " --set training.max_steps=3");
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resumed from"), std::string::npos) << resumed.err;
}

TEST(TrainCli, NonFiniteUpdatesAreSkippedThenTrainingStopsWithTheLastGoodState) {
  test::TempDir d;
  // An absurd learning rate: the first update blows the weights up, every later loss is NaN.
  const auto r = run_nmt("train --threads 2 -c " + write_config(d, "model") +
                         " --set training.lr=1e30 --set training.max_bad_steps=3");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("nmt: error: training diverged: 3 updates in a row up to step 4"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("update skipped (1 in a row"), std::string::npos) << r.err;
  int skipped = 0;
  std::istringstream events(test::slurp(d / "model/metrics.jsonl"));
  for (std::string line; std::getline(events, line);) skipped += nlohmann::json::parse(line).at("event") == "skipped";
  EXPECT_EQ(skipped, 3);
  // The weights of step 1, the last update applied, are in last.pt and load.
  const auto t = run_nmt("-q translate --threads 1 --checkpoint last -m " + (d / "model"), "the boys are reading .\n");
  EXPECT_EQ(t.code, 0) << t.err;
}

TEST(TrainCli, OneWriterPerModelDirectoryAndTheLogSurvivesAKill) {
  test::TempDir d;
  const std::string config = write_config(d, "model", R"(, "max_steps": 100000)");
  // A run that holds the directory; a second train or prepare into it fails at once, naming its PID.
  const auto r = run_bash(d, nmt_command() + " train --threads 1 -c '" + config + "' 2>'" + (d / "first.err") +
                                 "' & pid=$!; for i in $(seq 600); do grep -q '\"train\"' '" +
                                 (d / "model/metrics.jsonl") + "' 2>/dev/null && break; sleep 0.1; done; " +
                                 nmt_command() + " train --resume -c '" + config + "'; a=$?; " + nmt_command() +
                                 " prepare -c '" + config + "'; b=$?; echo $pid >'" + (d / "pid") +
                                 "'; kill -KILL $pid; wait $pid; exit $((a * 10 + b))");
  const std::string pid = test::slurp(d / "pid").substr(0, test::slurp(d / "pid").find('\n'));
  EXPECT_EQ(r.code, 11) << r.err;
  std::size_t errors = 0;  // bash adds a line of its own about the killed job
  for (auto at = r.err.find("nmt: error: "); at != std::string::npos; at = r.err.find("nmt: error: ", at + 1)) ++errors;
  EXPECT_EQ(errors, 2u) << r.err;
  EXPECT_NE(r.err.find("model_dir '" + (d / "model") + "' is in use by another nmt (pid " + pid + ")"),
            std::string::npos)
      << r.err;
  // Killed with SIGKILL, it still left every line it had logged in train.log.
  const std::string log = test::slurp(d / "model/train.log");
  EXPECT_NE(log.find("[vocab]"), std::string::npos) << log;
  EXPECT_NE(log.find("[train] epoch 1 step"), std::string::npos) << log;
  // The lock went with the process.
  const auto again = run_nmt("prepare -c " + config);
  EXPECT_EQ(again.code, 0) << again.err;
}

}  // namespace
}  // namespace nmt
