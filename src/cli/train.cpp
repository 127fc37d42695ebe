// nmt train: trains, validates and checkpoints a model as its config says.
#include <unistd.h>

#include <memory>
#include <optional>

#include "cli/verbs.h"
#include "nmt/common/config.h"
#include "nmt/common/threads.h"
#include "nmt/train/trainer.h"

namespace nmt::cli {
namespace {

struct TrainCliOptions {
  std::string config;
  std::vector<std::string> overrides;  // --set KEY=VALUE
  std::optional<std::string> threads;  // sets training.threads, checked as the config's value
  bool resume = false;
  std::string device = "auto";
};

void run_train(const TrainCliOptions& opt) {
  std::vector<Override> overrides;
  for (const auto& o : opt.overrides) overrides.push_back(Override::from_set(o));
  if (opt.threads) overrides.push_back({"training.threads", *opt.threads, "--threads"});
  const Config config = load_config(opt.config, overrides);
  train::TrainOptions options;
  options.resume = opt.resume;
  options.device = opt.device;
  options.threads = set_threads(static_cast<int>(config.training.threads));
  options.live_progress = ::isatty(STDERR_FILENO) == 1;
  train::train(config, options);
}

}  // namespace

Verb setup_train(CLI::App& app) {
  auto opt = std::make_shared<TrainCliOptions>();
  CLI::App* sub = app.add_subcommand("train", "Train a model; Ctrl-C saves a checkpoint that --resume continues");
  sub->add_option("-c,--config", opt->config, "JSON config file")->required();
  sub->add_option("--set", opt->overrides, "Override a config key: --set training.lr=0.001");
  sub->add_flag("--resume", opt->resume, "Continue from model_dir/checkpoints/last.pt");
  sub->add_option("--threads", opt->threads, "CPU threads (default: training.threads, 0 = all cores)")
      ->type_name("INT >= 0");
  sub->add_option("--device", opt->device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  return {sub, [opt] { run_train(*opt); }};
}

}  // namespace nmt::cli
