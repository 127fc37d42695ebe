// Training throughput against the hardware: the GEMM roofline measured in the
// same process (in training.precision's dtype), model FLOPs per target token,
// MFU and peak memory. The FLOP count is the PyTorch peer's
// (../shared/peers/README.md): 6 x forward multiply-adds of the matrix
// products, over real (unpadded) lengths.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include <torch/types.h>

#include "nmt/common/config.h"
#include "nmt/data/batcher.h"
#include "nmt/model/seq2seq.h"
#include "nmt/train/distributed.h"
#include "nmt/train/step.h"

namespace nmt::train {

/// The GEMM roofline: best GFLOP/s of an n x n matrix product in `dtype` on
/// `device`, through LibTorch's mm and, for fp32 on the CPU where it is
/// visible, through oneDNN's sgemm (which nmt's layers use,
/// nmt/model/fused.h): 3 warm-up calls, then the best of 3 loops of 10 calls,
/// at 2 n^3 FLOPs each.
struct GemmRate {
  double libtorch = 0, onednn = 0;  ///< 0: not measured
  double best() const { return std::max(libtorch, onednn); }
};
GemmRate gemm_gflops(int64_t n, torch::Device device, torch::ScalarType dtype);

/// Forward multiply-adds of the matrix products of `model` on one batch: the
/// sum of Seq2Seq::forward_macs over its sentences, at their real lengths.
double forward_macs(const model::Seq2Seq& model, const data::Batch& batch);

struct TrainBenchOptions {
  int64_t steps = 45;   ///< timed updates
  int64_t warmup = 5;   ///< untimed updates before them
  std::string device = "cpu";
  int threads = 1;      ///< as set by the caller; reported
  /// Timed updates stop after this many seconds, even before `steps` (0: no limit).
  double seconds = 0;
  /// The roofline's GEMM is n x n x n: large enough for the device to reach its
  /// peak (a GPU needs more than a CPU), small enough to take seconds.
  int64_t gemm_size = 2048;
  /// When > 0: random sentences of exactly this many pieces on both sides, as
  /// many as fit training.batch_tokens, instead of the corpus (to show how the
  /// cost grows with length, or to measure a model at its real sizes without
  /// its corpus): vocab.size pieces a side, and no corpus is read.
  int64_t synthetic_len = 0;
  /// When ranks.distributed(): the updates sum their gradients over the
  /// ranks' process group (Gloo, or NCCL on CUDA), as `nmt train` does, so the
  /// collectives' cost is in the figures (at world size 1 too).
  RankInfo ranks;
  /// Levers off, to measure what they buy: corpus batches without length
  /// bucketing, and the decoder run step by step instead of whole-sequence.
  bool bucketing = true;
  Forward forward = Forward::whole_sequence;
  /// When set: LibTorch's profiler records every operation of the timed steps
  /// into this Chrome trace file (scripts/profile.py sums it by kind).
  std::string profile;
};

struct TrainBench {
  int64_t steps = 0;
  int64_t tgt_tokens = 0;  ///< real target tokens of the timed steps, bos and eos included (as the peer counts)
  int64_t src_tokens = 0;  ///< real source tokens, eos included
  double seconds = 0;                      ///< summed time of the timed steps
  double step_ms_median = 0;
  double flops = 0;                        ///< model FLOPs of the timed steps
  GemmRate gemm_before, gemm_after;  ///< in the dtype of training.precision
  std::string backend;               ///< the process group's; empty without one
  double collective_seconds = 0;     ///< of the timed steps, blocked in the process group's collectives
  double peak_rss_mb = 0;
  int64_t parameters = 0;

  double tgt_tokens_per_s() const { return static_cast<double>(tgt_tokens) / seconds; }
  double achieved_gflops() const { return flops / seconds / 1e9; }
  double gemm_gflops() const { return std::max(gemm_before.best(), gemm_after.best()); }
  double mfu() const { return achieved_gflops() / gemm_gflops(); }
};

/// Trains the config's model on the first warmup + steps batches of the seed's
/// first epoch (collated before timing), exactly as `nmt train` updates (in
/// training.precision), and times each update. Vocabulary and corpus cache live
/// in config.model_dir.
TrainBench bench_training(const Config& config, const TrainBenchOptions& options);

}  // namespace nmt::train
