#include "nmt/train/train_bench.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>

#if __has_include(<torch/csrc/autograd/profiler_legacy.h>)
#include <torch/csrc/autograd/profiler_legacy.h>
#define NMT_HAS_RECORD_PROFILE 1
#endif
#include <torch/torch.h>

#include "nmt/common/device.h"
#include "nmt/common/error.h"
#include "nmt/common/logging.h"
#include "nmt/common/memory.h"
#include "nmt/data/dataset.h"
#include "nmt/model/factory.h"
#include "nmt/model/fused.h"
#include "nmt/train/lr_schedule.h"
#include "nmt/train/precision.h"

namespace nmt::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void synchronize(torch::Device device) {
  // A host copy of a scalar waits for the device's queue.
  if (device.is_cuda()) torch::zeros({1}, torch::TensorOptions().device(device)).cpu();
}

// Random batches made for a run; longer runs cycle through them.
constexpr int64_t kSyntheticBatches = 64;

// `count` batches of random sentences with `len` pieces on both sides, as many
// rows as fit `batch_tokens` padded target positions (len + eos each).
std::vector<data::Batch> synthetic_batches(int64_t count, int64_t len, int64_t batch_tokens, int64_t vocab) {
  const int64_t rows = std::max<int64_t>(1, batch_tokens / (len + 1));
  const auto eos = torch::full({rows, 1}, static_cast<int64_t>(data::kEos), torch::kLong);
  const auto bos = torch::full({rows, 1}, static_cast<int64_t>(data::kBos), torch::kLong);
  std::vector<data::Batch> out;
  for (int64_t i = 0; i < count; ++i) {
    data::Batch b;
    const auto words = torch::randint(data::kEos + 1, vocab, {rows, len}, torch::kLong);
    b.src = torch::cat({torch::randint(data::kEos + 1, vocab, {rows, len}, torch::kLong), eos}, 1);
    b.tgt_in = torch::cat({bos, words}, 1);
    b.tgt_out = torch::cat({words, eos}, 1);
    b.src_mask = torch::ones({rows, len + 1}, torch::kBool);
    b.tgt_mask = b.src_mask.clone();
    b.src_tokens = b.tgt_tokens = rows * (len + 1);
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace

GemmRate gemm_gflops(int64_t n, torch::Device device, torch::ScalarType dtype) {
  const double side = static_cast<double>(n);
  if (device.is_cpu()) {
    require_memory(3 * side * side * static_cast<double>(c10::elementSize(dtype)), "--gemm-size " + std::to_string(n));
  }
  torch::NoGradGuard no_grad;
  const auto opts = torch::TensorOptions().dtype(dtype).device(device);
  const auto a = torch::randn({n, n}, opts), b = torch::randn({n, n}, opts);
  auto c = torch::empty({n, n}, opts);
  const auto best_rate = [&](const std::function<void()>& product) {
    for (int i = 0; i < 3; ++i) product();
    synchronize(device);
    double best = 1e30;
    for (int loop = 0; loop < 3; ++loop) {
      const auto start = Clock::now();
      for (int i = 0; i < 10; ++i) product();
      synchronize(device);
      best = std::min(best, seconds_since(start));
    }
    const double dn = static_cast<double>(n);
    return 10 * 2 * dn * dn * dn / best / 1e9;
  };
  GemmRate rate;
  rate.libtorch = best_rate([&] { torch::mm_out(c, a, b); });
  if (const auto sgemm = model::onednn_sgemm(); sgemm != nullptr && device.is_cpu() && dtype == torch::kFloat) {
    rate.onednn = best_rate([&] {
      sgemm('N', 'N', n, n, n, 1.0f, a.data_ptr<float>(), n, b.data_ptr<float>(), n, 0.0f, c.data_ptr<float>(), n);
    });
  }
  return rate;
}

double forward_macs(const model::Seq2Seq& model, const data::Batch& batch) {
  const auto src_len = batch.src_mask.sum(1).to(torch::kCPU), tgt_len = batch.tgt_mask.sum(1).to(torch::kCPU);
  const auto* s_len = src_len.data_ptr<int64_t>();
  const auto* t_len = tgt_len.data_ptr<int64_t>();
  double macs = 0;
  for (int64_t b = 0; b < batch.src.size(0); ++b) macs += model.forward_macs(s_len[b], t_len[b]);
  return macs;
}

TrainBench bench_training(const Config& config, const TrainBenchOptions& options) {
  const torch::Device device = rank_device(resolve_device(options.device), options.ranks);
  MixedPrecision precision(config.training.precision, device);
  torch::manual_seed(static_cast<uint64_t>(config.training.seed));
  std::vector<data::Batch> batches;
  int64_t total = options.warmup + options.steps, src_vocab = config.vocab.size, tgt_vocab = config.vocab.size;
  if (options.synthetic_len > 0) {
    // Cycled: a time limit may take more updates than are worth holding.
    batches = synthetic_batches(std::min<int64_t>(total, kSyntheticBatches), options.synthetic_len,
                                config.training.batch_tokens, tgt_vocab);
  } else {
    const auto data = data::prepare_dataset(config, options.threads);
    src_vocab = data.vocabs.src.size(), tgt_vocab = data.vocabs.tgt.size();
    auto bo = data::BatcherOptions::from_config(config.training);
    bo.bucket_by_length = options.bucketing;
    const auto plan = data::Batcher(*data.train, bo).epoch_plan(1);
    total = std::min<int64_t>(total, static_cast<int64_t>(plan.size()));
    for (int64_t i = 0; i < total; ++i) batches.push_back(data::collate(*data.train, plan[static_cast<std::size_t>(i)]));
  }

  auto model = model::make_model(config, src_vocab, tgt_vocab);
  model->to(device);
  std::unique_ptr<ProcessGroup> group;
  std::unique_ptr<GradientBuckets> buckets;
  if (options.ranks.distributed()) {
    group = std::make_unique<ProcessGroup>(options.ranks, device, dist_timeout(config.training));
    buckets = std::make_unique<GradientBuckets>(model->parameters(), *group);
  }
  auto optimizer = make_optimizer(config.training, model->parameters());
  LrSchedule schedule(config.training);

  TrainBench r;
  if (group) r.backend = group->backend();
  for (const auto& p : model->parameters()) r.parameters += p.numel();
  const auto dtype = compute_dtype(config.training.precision);
  r.gemm_before = gemm_gflops(options.gemm_size, device, dtype);
  std::vector<double> times;
#ifdef NMT_HAS_RECORD_PROFILE
  std::optional<torch::autograd::profiler::RecordProfile> profile;
  std::error_code ec;
  if (!options.profile.empty() && std::filesystem::exists(options.profile, ec) &&
      !std::filesystem::is_regular_file(options.profile, ec)) {
    // LibTorch's profiler writes the trace without a word on failure: a device would lose it.
    throw ConfigError("--profile: '" + options.profile + "' is not a regular file; the trace is written as one");
  }
  if (!options.profile.empty() && !std::ofstream(options.profile)) {
    throw ConfigError("--profile: cannot write '" + options.profile + "'");
  }
#else
  std::optional<int> profile;
  if (!options.profile.empty()) throw ConfigError("--profile: this LibTorch has no legacy profiler (RecordProfile)");
#endif
  double waited_before = 0;
  for (int64_t i = 0; i < total; ++i) {
    if (i == options.warmup) {
#ifdef NMT_HAS_RECORD_PROFILE
      if (!options.profile.empty()) profile.emplace(options.profile);
#endif
      if (group) waited_before = group->waited_seconds();
    }
    const auto& batch = batches[static_cast<std::size_t>(i) % batches.size()];
    const auto start = Clock::now();
    set_lr(*optimizer, schedule.lr(i));
    std::optional<RankShare> share;
    if (group) {
      share = RankShare{buckets.get(), static_cast<int64_t>(group->sum({static_cast<double>(batch.tgt_tokens)})[0])};
    }
    // train_step returns after loss.item(): synchronized
    train_step(*model, *optimizer, {batch}, config.training, device, options.forward, share ? &*share : nullptr,
               &precision);
    const double secs = seconds_since(start);
    if (i < options.warmup) continue;
    times.push_back(secs);
    r.seconds += secs;
    r.tgt_tokens += batch.tgt_tokens + batch.src.size(0);  // as the peer counts: bos + pieces + eos
    r.src_tokens += batch.src_tokens;
    r.flops += 6 * forward_macs(*model, batch);
    NMT_DEBUG("bench", "step {}: {:.1f} ms, {} target tokens", i + 1, 1e3 * secs, batch.tgt_tokens);
    if (options.seconds > 0) {
      bool out_of_time = r.seconds >= options.seconds;
      if (group) {  // every rank stops after the same update: rank 0's clock decides (untimed)
        const double waited = group->waited_seconds();
        out_of_time = group->broadcast({out_of_time ? 1.0 : 0.0})[0] > 0;
        waited_before += group->waited_seconds() - waited;
      }
      if (out_of_time) break;
    }
  }
  profile.reset();  // writes the trace
  if (group) r.collective_seconds = group->waited_seconds() - waited_before;
  r.gemm_after = gemm_gflops(options.gemm_size, device, dtype);
  r.steps = static_cast<int64_t>(times.size());
  std::sort(times.begin(), times.end());
  if (!times.empty()) {
    const std::size_t n = times.size();
    r.step_ms_median = 1e3 * (n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2);
  }
  r.peak_rss_mb = peak_rss_mb();
  return r;
}

}  // namespace nmt::train
