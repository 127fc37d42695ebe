// nmt train: trains, validates and checkpoints a model as its config says.
#include <unistd.h>

#include <memory>

#include "cli/config_flags.h"
#include "cli/verbs.h"
#include "nmt/common/config.h"
#include "nmt/common/threads.h"
#include "nmt/train/trainer.h"

namespace nmt::cli {
namespace {

struct TrainCliOptions {
  ConfigFlags config;
  bool resume = false;
  std::string device = "auto";
};

void run_train(const TrainCliOptions& opt) {
  const Config config = opt.config.load();
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
  opt->config.add_to(sub, "training.lr=0.001");
  sub->add_flag("--resume", opt->resume, "Continue from model_dir/checkpoints/last.pt");
  sub->add_option("--device", opt->device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  return {sub, [opt] { run_train(*opt); }};
}

}  // namespace nmt::cli
