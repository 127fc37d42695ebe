// The environment variables nmt reads, each declared once. Readers take the
// name, kind and range from here; the robustness suite gives each variable the
// hostile values of its kind, in a setting where it is read
// (tests/robustness/test_flags.cpp). An empty variable is an unset one.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace nmt::env {

enum class Kind { whole_number, choice, text, path };

struct Variable {
  std::string_view name;
  Kind kind = Kind::text;
  int64_t min = 0, max = 0;         // a whole_number's range
  std::string_view choices = {};    // a choice's words, separated by '|'
  std::string_view read_with = {};  // variables that make it read, "NAME=VALUE ..."; $PORT: a free port
  std::string_view what = {};       // one line for the reference
};

inline constexpr int64_t kMaxRanks = 1 << 20;
inline constexpr std::string_view kOneRankGroup = "WORLD_SIZE=1 RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=$PORT";

// Data-parallel training: torchrun's variables, or Slurm's where WORLD_SIZE is unset.
inline constexpr Variable kWorldSize{.name = "WORLD_SIZE", .kind = Kind::whole_number, .min = 1, .max = kMaxRanks,
                                     .what = "Ranks in the group (torchrun)."};
inline constexpr Variable kRank{.name = "RANK", .kind = Kind::whole_number, .min = 0, .max = kMaxRanks - 1,
                                .read_with = "WORLD_SIZE=1", .what = "This process's rank."};
inline constexpr Variable kLocalRank{.name = "LOCAL_RANK", .kind = Kind::whole_number, .min = 0,
                                     .max = kMaxRanks - 1, .read_with = "WORLD_SIZE=1 RANK=0",
                                     .what = "This process's rank on its host: the GPU it trains on."};
inline constexpr Variable kLocalWorldSize{.name = "LOCAL_WORLD_SIZE", .kind = Kind::whole_number, .min = 1,
                                          .max = kMaxRanks, .read_with = kOneRankGroup,
                                          .what = "Ranks on this host."};
inline constexpr Variable kMasterAddr{.name = "MASTER_ADDR", .kind = Kind::text,
                                      .read_with = "WORLD_SIZE=1 RANK=0 MASTER_PORT=$PORT",
                                      .what = "Rank 0's host name or address, where the group meets."};
inline constexpr Variable kMasterPort{.name = "MASTER_PORT", .kind = Kind::whole_number, .min = 1, .max = 65535,
                                      .read_with = "WORLD_SIZE=1 RANK=0 MASTER_ADDR=127.0.0.1",
                                      .what = "The port rank 0 serves the group's store on (default 29500)."};
inline constexpr Variable kAgentStore{.name = "TORCHELASTIC_USE_AGENT_STORE", .kind = Kind::choice,
                                      .choices = "True|False", .read_with = kOneRankGroup,
                                      .what = "True: the launcher serves the store, not rank 0."};
inline constexpr Variable kRestartCount{.name = "TORCHELASTIC_RESTART_COUNT", .kind = Kind::whole_number, .min = 0,
                                        .max = kMaxRanks, .read_with = kOneRankGroup,
                                        .what = "How often torchrun restarted the group."};
inline constexpr Variable kSlurmNtasks{.name = "SLURM_NTASKS", .kind = Kind::whole_number, .min = 1,
                                       .max = kMaxRanks, .read_with = "SLURM_PROCID=0",
                                       .what = "Ranks in the group, where WORLD_SIZE is unset."};
inline constexpr Variable kSlurmProcid{.name = "SLURM_PROCID", .kind = Kind::whole_number, .min = 0,
                                       .max = kMaxRanks - 1, .read_with = "SLURM_NTASKS=1",
                                       .what = "This process's rank, where WORLD_SIZE is unset."};
inline constexpr Variable kSlurmLocalid{.name = "SLURM_LOCALID", .kind = Kind::whole_number, .min = 0,
                                        .max = kMaxRanks - 1, .read_with = "SLURM_NTASKS=1 SLURM_PROCID=0",
                                        .what = "This process's rank on its host, where WORLD_SIZE is unset."};
inline constexpr Variable kSlurmPerNode{.name = "SLURM_NTASKS_PER_NODE", .kind = Kind::whole_number, .min = 1,
                                        .max = kMaxRanks,
                                        .read_with = "SLURM_NTASKS=1 SLURM_PROCID=0 MASTER_ADDR=127.0.0.1 "
                                                     "MASTER_PORT=$PORT",
                                        .what = "Ranks on this host, where LOCAL_WORLD_SIZE is unset."};
inline constexpr Variable kGlooInterface{.name = "GLOO_SOCKET_IFNAME", .kind = Kind::text,
                                         .read_with = kOneRankGroup,
                                         .what = "The network interface Gloo's connections use."};
inline constexpr Variable kLauncherPid{.name = "NMT_LAUNCHER_PID", .kind = Kind::whole_number, .min = 1,
                                       .max = 1 << 30, .read_with = kOneRankGroup,
                                       .what = "Set by `train --nproc` for its ranks: the launcher, which reports a "
                                               "rank that stopped, so that the others need not."};
// nmt's own.
inline constexpr Variable kCpuIsa{.name = "NMT_CPU_ISA", .kind = Kind::choice, .choices = "baseline|avx2|avx512",
                                  .what = "The highest instruction set nmt's kernels and its libraries use."};
inline constexpr Variable kGemm{.name = "NMT_GEMM", .kind = Kind::choice, .choices = "auto|onednn|libtorch",
                                .what = "Who computes nmt's fp32 CPU matrix products."};
inline constexpr Variable kSpmLibrary{.name = "NMT_SPM_LIBRARY", .kind = Kind::path,
                                      .what = "The libnmt_spm.so to load SentencePiece through."};

inline constexpr std::array kVariables = {&kWorldSize,     &kRank,         &kLocalRank,    &kLocalWorldSize,
                                          &kMasterAddr,    &kMasterPort,   &kAgentStore,   &kRestartCount,
                                          &kSlurmNtasks,   &kSlurmProcid,  &kSlurmLocalid, &kSlurmPerNode,
                                          &kGlooInterface, &kLauncherPid,  &kCpuIsa,       &kGemm,
                                          &kSpmLibrary};

/// The variables `v` of an environment (name -> value); nullopt where unset or empty.
using Environment = std::map<std::string, std::string>;
std::optional<std::string> get(const Environment& environment, const Variable& v);

/// This process's value of `v`; nullopt where unset or empty.
std::optional<std::string> get(const Variable& v);

/// "NAME='text'" for a message: escaped (utf8::printable), and cut after 100 bytes.
std::string assignment(const Variable& v, const std::string& text);

/// `text` as a whole number in v's range, or a ConfigError naming the variable and the range.
int64_t whole_number(const Variable& v, const std::string& text);

/// `text` as one of v's choices, or a ConfigError naming the variable and the choices.
std::string_view choice(const Variable& v, const std::string& text);

/// The variables as a Markdown table: name, kind and meaning.
std::string reference_markdown();

/// This process's environment, name -> value.
Environment current();

}  // namespace nmt::env
