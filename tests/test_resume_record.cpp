// The record --resume reads back from a checkpoint: every field checked, and a
// damaged one named.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>

#include "nmt/train/resume_record.h"
#include "nmt/train/rng_state.h"

namespace nmt::train {
namespace {

// A record as Trainer::record writes it, with `edit` applied.
std::string record(const std::function<void(nlohmann::json&)>& edit = {}) {
  nlohmann::json j = {{"step", 120},
                      {"epoch", 3},
                      {"batch", 7},
                      {"model_type", "rnnsearch"},
                      {"schedule", {{"best", 1.5}, {"has_best", true}, {"bad", 2}, {"scale", 0.5}}},
                      {"early_stopping", {{"best", 12.5}, {"has_best", true}, {"bad", 1}, {"metric", "bleu"}}},
                      {"elapsed_s", 42.5},
                      {"rng", rng_state(torch::kCPU)}};
  if (edit) edit(j);
  return j.dump();
}

std::string error_of(const std::string& text) {
  try {
    parse_resume_record(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(ResumeRecord, ReadsWhatTheTrainerWrites) {
  const auto r = parse_resume_record(record());
  EXPECT_EQ(r.step, 120);
  EXPECT_EQ(r.position.epoch, 3);
  EXPECT_EQ(r.position.batch, 7);
  EXPECT_EQ(r.schedule.scale, 0.5);
  EXPECT_EQ(r.schedule.patience.bad, 2);
  EXPECT_EQ(r.early_stopping.best, 12.5);
  EXPECT_EQ(r.elapsed_s, 42.5);
  // The generator goes back to the recorded state: the same draws follow.
  restore_rng(r.rng, torch::kCPU);
  const auto first = torch::rand({4});
  restore_rng(r.rng, torch::kCPU);
  EXPECT_TRUE(torch::equal(torch::rand({4}), first));
}

TEST(ResumeRecord, NamesTheDamagedField) {
  EXPECT_EQ(error_of("{\"step\": ").rfind("not JSON: ", 0), 0u);
  EXPECT_EQ(error_of(record([](auto& j) { j.erase("step"); })), "step is missing");
  EXPECT_EQ(error_of(record([](auto& j) { j["step"] = "12"; })), "step is string, not the number expected");
  EXPECT_EQ(error_of(record([](auto& j) { j["epoch"] = 0; })), "epoch must be >= 1, got 0");
  EXPECT_EQ(error_of(record([](auto& j) { j["batch"] = -1; })), "batch must be >= 0, got -1");
  EXPECT_EQ(error_of(record([](auto& j) { j["schedule"].erase("bad"); })), "schedule.bad is missing");
  EXPECT_EQ(error_of(record([](auto& j) { j["schedule"]["scale"] = 0; })),
            "schedule.scale must be a positive number, got 0");
  EXPECT_EQ(error_of(record([](auto& j) { j["elapsed_s"] = -1.0; })), "elapsed_s must be >= 0, got -1.0");
  EXPECT_EQ(error_of(record([](auto& j) { j["rng"]["cpu"] = 12; })), "rng.cpu is number, not the string expected");
  try {
    restore_rng(parse_resume_record(record([](auto& j) { j["rng"]["cpu"] = "xyz"; })).rng, torch::kCPU);
    ADD_FAILURE() << "'xyz' was taken for a state";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "rng.cpu is not a hex string");
  }
  // Hex of the wrong length parses, but the generator refuses it with a message of its own.
  const auto r = parse_resume_record(record([](auto& j) { j["rng"]["cpu"] = "00ff"; }));
  try {
    restore_rng(r.rng, torch::kCPU);
    ADD_FAILURE() << "a 2-byte state was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("rng.cpu holds 2 bytes, not the "), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nmt::train
