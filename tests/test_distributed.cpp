// Who a data-parallel rank is, from torchrun's or SLURM's variables
// (train/distributed.h), and what a build without a device's process group
// says; the runs themselves are tests/cli/test_train_cli.cpp's.
#include <gtest/gtest.h>

#include "nmt/common/error.h"
#include "nmt/train/distributed.h"

namespace nmt::train {
namespace {

void expect_config_error(const std::map<std::string, std::string>& env, const std::string& needle) {
  try {
    RankInfo::from(env);
    ADD_FAILURE() << "no error for " << needle;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(RankInfo, NoVariablesIsOneProcess) {
  const RankInfo who = RankInfo::from({});
  EXPECT_FALSE(who.distributed());
  EXPECT_EQ(who.rank, 0);
  EXPECT_EQ(who.world_size, 1);
}

TEST(RankInfo, ReadsTorchrunsVariables) {
  const RankInfo who = RankInfo::from({{"WORLD_SIZE", "8"},
                                       {"RANK", "5"},
                                       {"LOCAL_RANK", "1"},
                                       {"LOCAL_WORLD_SIZE", "4"},
                                       {"MASTER_ADDR", "10.0.0.2"},
                                       {"MASTER_PORT", "29400"},
                                       {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                                       {"TORCHELASTIC_RESTART_COUNT", "2"}});
  EXPECT_TRUE(who.distributed());
  EXPECT_EQ(who.rank, 5);
  EXPECT_EQ(who.world_size, 8);
  EXPECT_EQ(who.local_rank, 1);
  EXPECT_EQ(who.local_world_size, 4);
  EXPECT_EQ(who.master_addr, "10.0.0.2");
  EXPECT_EQ(who.master_port, 29400);
  EXPECT_TRUE(who.launcher_store);
  EXPECT_EQ(who.restart_count, 2);
}

TEST(RankInfo, ReadsSlurmsVariablesWhenTorchrunsAreAbsent) {
  const RankInfo who = RankInfo::from({{"SLURM_NTASKS", "4"},
                                       {"SLURM_PROCID", "3"},
                                       {"SLURM_LOCALID", "1"},
                                       {"SLURM_NTASKS_PER_NODE", "2"},
                                       {"MASTER_ADDR", "node01"}});
  EXPECT_EQ(who.rank, 3);
  EXPECT_EQ(who.world_size, 4);
  EXPECT_EQ(who.local_rank, 1);
  EXPECT_EQ(who.local_world_size, 2);
  EXPECT_EQ(who.master_port, 29500);  // c10d's default
  EXPECT_FALSE(who.launcher_store);   // rank 0 serves the store
  // torchrun's variables win over SLURM's (torchrun inside an allocation).
  EXPECT_EQ(
      RankInfo::from({{"SLURM_NTASKS", "4"}, {"SLURM_PROCID", "3"}, {"WORLD_SIZE", "1"}, {"RANK", "0"}}).world_size, 1);
}

TEST(RankInfo, EmptyIsUnsetAndAGroupOfOneNeedsNoRank) {
  EXPECT_FALSE(RankInfo::from({{"WORLD_SIZE", ""}, {"RANK", ""}, {"MASTER_ADDR", ""}}).distributed());
  const RankInfo alone = RankInfo::from({{"WORLD_SIZE", "1"}});
  EXPECT_EQ(alone.rank, 0);
  EXPECT_EQ(alone.world_size, 1);
}

TEST(RankInfo, OneRankJoinsAGroupOnlyWhenToldWhere) {
  EXPECT_FALSE(RankInfo::from({{"WORLD_SIZE", "1"}, {"RANK", "0"}}).distributed());
  const RankInfo who = RankInfo::from({{"WORLD_SIZE", "1"}, {"RANK", "0"}, {"MASTER_ADDR", "127.0.0.1"}});
  EXPECT_TRUE(who.distributed());  // as torchrun --nproc_per_node 1 starts it
  EXPECT_EQ(who.world_size, 1);
}

TEST(RankInfo, BadVariablesNameThemselves) {
  expect_config_error({{"WORLD_SIZE", "2"}}, "WORLD_SIZE=2 is set but RANK is not");
  expect_config_error({{"RANK", "1"}}, "RANK is set but WORLD_SIZE is not");
  expect_config_error({{"WORLD_SIZE", "2"}, {"RANK", "2"}, {"MASTER_ADDR", "h"}},
                      "RANK=2 is out of range for WORLD_SIZE=2 (ranks 0 to 1)");
  expect_config_error({{"WORLD_SIZE", "two"}, {"RANK", "0"}}, "WORLD_SIZE='two': expected a whole number");
  expect_config_error({{"WORLD_SIZE", "2"}, {"RANK", "0"}}, "MASTER_ADDR is not set");
  expect_config_error({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "70000"}},
                      "MASTER_PORT='70000': expected a whole number from 1 to 65535");
  expect_config_error({{"SLURM_NTASKS", "2"}, {"SLURM_PROCID", "0"}}, "SLURM_NTASKS=2 but MASTER_ADDR is not set");
  const std::map<std::string, std::string> group = {{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_ADDR", "h"}};
  auto with = [&](const std::string& name, const std::string& value) {
    auto env = group;
    env[name] = value;
    return env;
  };
  expect_config_error(with("MASTER_ADDR", "h\x1b[2J"), "MASTER_ADDR='h\\x1b[2J': not a host name or an IP address");
  expect_config_error(with("MASTER_ADDR", std::string(300, 'a')), "(300 bytes): not a host name");
  expect_config_error(with("GLOO_SOCKET_IFNAME", "no-such-if"), "GLOO_SOCKET_IFNAME='no-such-if': this host has no");
  expect_config_error(with("TORCHELASTIC_USE_AGENT_STORE", "yes"), "expected one of True, False");
  // torchrun's and nmt's are checked wherever set; Slurm's only where used, as Slurm sets them in every job.
  expect_config_error({{"NMT_LAUNCHER_PID", "0"}}, "NMT_LAUNCHER_PID='0': expected a whole number");
  expect_config_error({{"WORLD_SIZE", "1"}, {"LOCAL_WORLD_SIZE", "0"}}, "LOCAL_WORLD_SIZE='0'");
  expect_config_error({{"LOCAL_RANK", "abc"}}, "LOCAL_RANK='abc'");
  EXPECT_FALSE(RankInfo::from({{"SLURM_NTASKS_PER_NODE", "2(x3)"}}).distributed());
}

// A build without the process group a device needs (NCCL for GPUs, Gloo for
// the CPU) says which one, before it waits for any rank.
TEST(ProcessGroup, ADeviceWhoseBackendThisBuildLacksIsOneErrorNamingIt) {
#if defined(USE_C10D_NCCL) && defined(USE_C10D_GLOO)
  GTEST_SKIP() << "this build has both process groups";
#else
#ifndef USE_C10D_NCCL
  const torch::Device device(torch::kCUDA, 0);
  const std::string needle = "data-parallel training on cuda:0 needs NCCL";
#else
  const torch::Device device(torch::kCPU);
  const std::string needle = "data-parallel training on cpu needs Gloo";
#endif
  const RankInfo who = RankInfo::from({{"WORLD_SIZE", "2"}, {"RANK", "1"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "1"}});
  try {
    ProcessGroup group(who, device, std::chrono::milliseconds(1000));
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
#endif
}

}  // namespace
}  // namespace nmt::train
