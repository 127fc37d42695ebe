// Data-parallel training on LibTorch's c10d: a rendezvous through its TCPStore,
// a process group (Gloo on the CPU, NCCL on CUDA builds that have it), and
// gradients all-reduced in buckets while backward still runs.
//
// The buckets are nmt's own autograd hooks, not c10d's Reducer: reducer.hpp
// includes torch/csrc/distributed/autograd/context/context.h, which LibTorch's
// installed headers leave out (Debian's and the official archives alike,
// pytorch/pytorch#88006), so the Reducer cannot be compiled against.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <torch/types.h>

#include "nmt/common/config.h"
#include "nmt/common/environment.h"

namespace nmt::train {

/// Who this process is among the ranks, from the variables torchrun sets
/// (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) or, when those are
/// absent, SLURM's (SLURM_NTASKS, SLURM_PROCID, SLURM_LOCALID; MASTER_ADDR and
/// MASTER_PORT still say where rank 0 listens).
struct RankInfo {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr;
  int master_port = 0;
  /// The rendezvous store is served by the launcher (torchrun's agent,
  /// `nmt train --nproc`), not by rank 0.
  bool launcher_store = false;
  int restart_count = 0;     ///< TORCHELASTIC_RESTART_COUNT: each attempt rendezvous under its own prefix
  bool under_nproc = false;  ///< started by this process's parent, `nmt train --nproc` (NMT_LAUNCHER_PID)
  int local_world_size = 1;  ///< ranks on this host (LOCAL_WORLD_SIZE, SLURM_NTASKS_PER_NODE), who share its cores

  /// Whether this process joins a process group: with more than one rank, or
  /// with one when MASTER_ADDR says where (`torchrun --nproc_per_node 1`, as
  /// PyTorch DDP would: the collectives then run, at the cost of one rank).
  bool distributed() const { return !master_addr.empty(); }

  /// Reads `environment` (nmt/common/environment.h). A WORLD_SIZE without
  /// RANK, a rank out of range, a missing MASTER_ADDR or a value of the wrong
  /// kind is a ConfigError naming the variable.
  static RankInfo from(const env::Environment& environment);
  /// from() over this process's environment.
  static RankInfo from_environment();
};

/// The device a rank trains on: on CUDA, the GPU of its LOCAL_RANK (a
/// ConfigError where the host has fewer GPUs).
torch::Device rank_device(torch::Device device, const RankInfo& who);

/// training.dist_timeout as a duration.
std::chrono::milliseconds dist_timeout(const TrainingConfig& training);

/// `nmt train --nproc N`: serves a rendezvous store on 127.0.0.1 and runs this
/// program's own command line, less --nproc, as N local ranks, each with the
/// variables torchrun would set. SIGINT and SIGTERM are passed on to them. When
/// one fails, the others stop on their own (through the process group); any
/// still running dist_timeout later are killed. Returns the exit status: 0 when
/// every rank succeeded, else the first failure's (a rank killed by a signal is
/// a SystemError naming it). More ranks than cores is a ConfigError.
int run_local_ranks(int nproc, std::chrono::milliseconds timeout);

/// The ranks of one data-parallel run. Every collective waits at most the
/// timeout; a failed or timed-out one throws SystemError naming the ranks that
/// stopped answering (found through the store) or the store itself.
class ProcessGroup {
 public:
  ProcessGroup(const RankInfo& who, torch::Device device, std::chrono::milliseconds timeout);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return who_.rank; }
  int size() const { return who_.world_size; }
  std::string backend() const;

  /// Element-wise sums over the ranks (exact for counts below 2^53).
  std::vector<double> sum(const std::vector<double>& values);
  /// Rank 0's `values` on every rank.
  std::vector<double> broadcast(const std::vector<double>& values);
  /// Rank 0's tensors copied into every rank's, in place.
  void broadcast(std::vector<torch::Tensor>& tensors);
  /// Every rank's `bytes`, in rank order, on rank 0; empty on the others.
  std::vector<std::string> gather(const std::string& bytes);
  /// In-place sum over the ranks, started now; wait on the result.
  struct Pending;
  std::shared_ptr<Pending> start_sum(torch::Tensor tensor);
  void wait(Pending& pending);
  /// Seconds this rank has spent blocked in collectives (the sums backward did
  /// not hide, and waits for slower ranks) since the group was made.
  double waited_seconds() const { return waited_; }

 private:
  [[noreturn]] void fail(const std::string& what, const std::exception& e);

  RankInfo who_;
  torch::Device device_;
  std::chrono::milliseconds timeout_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t gathers_ = 0;  // gather() calls so far: each uses its own store keys
  double waited_ = 0;
};

/// The parameters' gradients as views into flat buckets of about
/// kBucketBytes each (the last layers' first, in the order backward reaches
/// them), each bucket's sum over the ranks started by a hook as soon as
/// backward has finished all its gradients, so the sums overlap the rest of
/// backward.
class GradientBuckets {
 public:
  static constexpr int64_t kBucketBytes = 25 << 20;      ///< as PyTorch DDP's default
  static constexpr int64_t kFirstBucketBytes = 1 << 20;  ///< small, to start the first sum early

  /// Gives every rank rank 0's values of `params` first (collective), as
  /// PyTorch DDP does, so that all ranks start from the same weights.
  GradientBuckets(const std::vector<torch::Tensor>& params, ProcessGroup& group);
  ~GradientBuckets();
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  /// Zeroes every gradient (the bucket views stay the parameters' .grad).
  void zero();
  /// Whether the next backward sums over the ranks: false for all but the last
  /// of an update's batches, whose gradients just accumulate locally.
  void sync_next_backward(bool sync);
  /// Waits for the sums started during the last synced backward; afterwards
  /// every rank holds the same summed gradients.
  void finish();
  int64_t buckets() const;

 private:
  struct Bucket;
  void on_gradient(std::size_t param);

  ProcessGroup& group_;
  std::vector<torch::Tensor> params_;
  std::vector<Bucket> buckets_;
  std::vector<std::size_t> bucket_of_;               // param index -> bucket
  std::vector<std::shared_ptr<void>> accumulators_;  // keep the autograd nodes (and their hooks) alive
  std::mutex mutex_;
  bool sync_ = false;
  std::size_t next_bucket_ = 0;  // buckets are started in order, the same on every rank
};

}  // namespace nmt::train
