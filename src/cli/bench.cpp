// nmt bench train: training throughput, MFU against the GEMM roofline measured
// in the same process, and peak memory, as one JSON line on stdout.
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/verbs.h"
#include "nmt/common/config.h"
#include "nmt/common/threads.h"
#include "nmt/train/bench.h"

namespace nmt::cli {
namespace {

struct BenchCliOptions {
  std::string config;
  std::vector<std::string> overrides;
  int64_t steps = 45;
  int64_t warmup = 5;
  int threads = 0;
  std::string device = "cpu";
};

void run_bench_train(const BenchCliOptions& opt) {
  const Config config = load_config(opt.config, opt.overrides);
  train::TrainBenchOptions options;
  options.steps = opt.steps;
  options.warmup = opt.warmup;
  options.device = opt.device;
  options.threads = set_threads(opt.threads);
  const auto r = train::bench_training(config, options);
  const nlohmann::json j = {
      {"bench", "train/" + config.model.type},
      {"config", opt.config},
      {"device", opt.device},
      {"threads", options.threads},
      {"steps", r.steps},
      {"warmup", opt.warmup},
      {"batch_tokens", config.training.batch_tokens},
      {"params", r.parameters},
      {"train_tgt_tokens_per_s", r.tgt_tokens_per_s()},
      {"train_src_tokens_per_s", static_cast<double>(r.src_tokens) / r.seconds},
      {"step_ms_median", r.step_ms_median},
      {"flops_per_tgt_token", r.flops / static_cast<double>(r.tgt_tokens)},
      {"achieved_gflops", r.achieved_gflops()},
      {"gemm_gflops_before", r.gemm_gflops_before},
      {"gemm_gflops_after", r.gemm_gflops_after},
      {"gemm_gflops", r.gemm_gflops()},
      {"mfu", r.mfu()},
      {"peak_rss_mb", r.peak_rss_mb},
  };
  std::printf("%s\n", j.dump().c_str());
}

}  // namespace

Verb setup_bench(CLI::App& app) {
  auto opt = std::make_shared<BenchCliOptions>();
  CLI::App* sub = app.add_subcommand("bench", "Measure speed against the hardware (see scripts/bench.sh)");
  sub->require_subcommand(1);
  CLI::App* train = sub->add_subcommand(
      "train", "Training: target tokens/s, median step, FLOPs per token, MFU against a 2048^2 GEMM, peak RSS");
  train->add_option("-c,--config", opt->config, "JSON config file (its model_dir holds the vocabulary and cache)")
      ->required();
  train->add_option("--set", opt->overrides, "Override a config key: --set training.batch_tokens=4096");
  train->add_option("--steps", opt->steps, "Timed updates")->capture_default_str()->check(CLI::PositiveNumber);
  train->add_option("--warmup", opt->warmup, "Untimed updates first")->capture_default_str()->check(CLI::NonNegativeNumber);
  train->add_option("--threads", opt->threads, "CPU threads (0 = all cores)")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  train->add_option("--device", opt->device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  return {sub, [opt] { run_bench_train(*opt); }};
}

}  // namespace nmt::cli
