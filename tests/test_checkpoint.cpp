#include <gtest/gtest.h>

#include <torch/torch.h>

#include "nmt/common/error.h"
#include "nmt/model/rnnsearch.h"
#include "nmt/model/transformer.h"
#include "nmt/model/checkpoint.h"
#include "test_util.h"

namespace nmt::model {
namespace {

model::RNNSearch make(int64_t seed, int64_t hidden = 10) {
  torch::manual_seed(static_cast<uint64_t>(seed));
  model::RNNSearch m(test::tiny_rnnsearch(hidden), 20, 23, 0.0);
  m->eval();
  return m;
}

TEST(Checkpoint, SaveThenLoadGivesIdenticalLogitsAndOptimizerState) {
  test::TempDir d;
  auto a = make(1);
  torch::optim::Adam opt_a(a->parameters(), torch::optim::AdamOptions(1e-3));
  const auto src = torch::tensor({{5, 6, 3}, {7, 3, 0}});
  const auto tgt = torch::tensor({{2, 9, 10}, {2, 11, 0}});
  opt_a.zero_grad();
  a->forward(src, src.ne(0), tgt).sum().backward();
  opt_a.step();
  save_checkpoint(d / "c.pt", *a, &opt_a, R"({"step": 1})");

  auto b = make(2);
  torch::optim::Adam opt_b(b->parameters(), torch::optim::AdamOptions(1e-3));
  EXPECT_EQ(load_checkpoint(d / "c.pt", *b, &opt_b), R"({"step": 1})");
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(a->forward(src, src.ne(0), tgt), b->forward(src, src.ne(0), tgt)));
  // The optimizer's moments came back too: one more identical step keeps them equal.
  torch::GradMode::set_enabled(true);
  opt_a.zero_grad();
  opt_b.zero_grad();
  for (auto* m : {&a, &b}) (*m)->forward(src, src.ne(0), tgt).sum().backward();
  opt_a.step();
  opt_b.step();
  torch::GradMode::set_enabled(false);
  EXPECT_TRUE(torch::equal(a->forward(src, src.ne(0), tgt), b->forward(src, src.ne(0), tgt)));
  // Written through a temporary file that is renamed over c.pt: nothing else is left behind.
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(d.str())) files.push_back(entry.path().filename());
  EXPECT_EQ(files, std::vector<std::string>{"c.pt"});
}

TEST(Checkpoint, TransformerSaveThenLoadGivesIdenticalLogits) {
  test::TempDir d;
  const auto make_transformer = [](uint64_t seed) {
    torch::manual_seed(seed);
    model::Transformer m(test::tiny_transformer(/*pre_norm=*/true, /*tie=*/true), 23, 23, 0.0);
    m->eval();
    return m;
  };
  auto a = make_transformer(1);
  save_checkpoint(d / "t.pt", *a, nullptr, "{}");
  auto b = make_transformer(2);
  load_checkpoint(d / "t.pt", *b, nullptr);
  const auto src = torch::tensor({{5, 6, 3}, {7, 3, 0}});
  const auto tgt = torch::tensor({{2, 9, 10}, {2, 11, 0}});
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(a->forward(src, src.ne(0), tgt), b->forward(src, src.ne(0), tgt)));
}

// best.json's file names are deleted when they drop out of the ranking: only
// nmt's own best-STEP.pt may be named there.
TEST(Checkpoint, ARankingNamesOnlyItsOwnCheckpoints) {
  test::TempDir d;
  write_ranking(d.str(), {{20, 31.5, ranked_file_name(20)}, {10, 30.0, ranked_file_name(10)}});
  const auto ranking = read_ranking(d.str());
  ASSERT_EQ(ranking.size(), 2u);
  EXPECT_EQ(ranking[0].file, "best-20.pt");
  const std::string path = d / "best.json";
  for (const char* entry : {R"({"step": 10, "score": 1, "file": "../../etc/passwd"})",
                                   R"({"step": 10, "score": 1, "file": "best-11.pt"})",
                                   R"({"step": 10, "score": 1, "file": "/tmp/best-10.pt"})",
                                   R"({"step": -1, "score": 1, "file": "best--1.pt"})"}) {
    test::write_file(path, "[" + std::string(entry) + "]");
    EXPECT_EQ(test::error_of([&] { read_ranking(d.str()); }),
              "ranking '" + path + "' is damaged: entry 1 is not {step, score, \"best-STEP.pt\"} with a finite score")
        << entry;
  }
  test::write_file(path, R"({"step": 10})");
  EXPECT_EQ(test::error_of([&] { read_ranking(d.str()); }), "ranking '" + path + "' is damaged: expected a JSON array");
}

// Pruning deletes what numbered_checkpoints returns: only nmt's own names, only regular files.
TEST(Checkpoint, NumberedCheckpointsAreOnlyNmtsOwn) {
  test::TempDir d;
  test::write_file(d / "victim", "mine");
  for (const char* name : {"step-3.pt", "step-12.pt", "step-0001.pt", "step-+5.pt", "step-7.pt.bak", "step-x.pt"}) {
    test::write_file(d / name, "x");
  }
  std::filesystem::create_symlink(d / "victim", d / "step-1.pt");
  const auto numbered = numbered_checkpoints(d.str());
  ASSERT_EQ(numbered.size(), 2u);
  EXPECT_EQ(numbered[0], (std::pair<int64_t, std::string>{3, d / "step-3.pt"}));
  EXPECT_EQ(numbered[1], (std::pair<int64_t, std::string>{12, d / "step-12.pt"}));
}

TEST(Checkpoint, BadFilesAreCheckpointErrorsNamingTheFile) {
  test::TempDir d;
  auto m = make(1);
  save_checkpoint(d / "good.pt", *m, nullptr, "{}");
  const std::string bytes = test::slurp(d / "good.pt");
  test::write_file(d / "truncated.pt", bytes.substr(0, bytes.size() / 2));
  test::write_file(d / "garbage.pt", "not a checkpoint");
  test::write_file(d / "empty.pt", "");
  // Damage the envelope's checksum catches: a byte flipped in the middle, a byte appended.
  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 1;
  test::write_file(d / "flipped.pt", flipped);
  test::write_file(d / "extended.pt", bytes + "x");
  // Found by scripts/fuzz.sh in a checkpoint without the envelope (nmt before 2026-12-02), which LibTorch
  // reads alone: its archive reader threw torch::jit::ErrorReport, a message of several lines.
  std::filesystem::copy_file(std::string(NMT_TEST_DATA) + "/legacy-damaged-type-table.pt", d / "type-table.pt");
  for (const std::string name :
       {"truncated.pt", "garbage.pt", "empty.pt", "flipped.pt", "extended.pt", "type-table.pt", "missing.pt"}) {
    try {
      load_checkpoint(d / name, *m, nullptr);
      FAIL() << name;
    } catch (const CheckpointError& e) {
      EXPECT_NE(std::string(e.what()).find("checkpoint '" + (d / name) + "'"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
  // A checkpoint of nmt before the envelope still loads.
  test::write_file(d / "legacy.pt", bytes.substr(24));
  EXPECT_NO_THROW(load_checkpoint(d / "legacy.pt", *m, nullptr));
  auto other = make(1, /*hidden=*/12);  // other sizes
  EXPECT_THROW(load_checkpoint(d / "good.pt", *other, nullptr), CheckpointError);
}

}  // namespace
}  // namespace nmt::model
