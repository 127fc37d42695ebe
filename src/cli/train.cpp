// nmt train: trains, validates and checkpoints a model as its config says.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "cli/checks.h"
#include "cli/config_flags.h"
#include "cli/verbs.h"
#include "nmt/common/config.h"
#include "nmt/common/error.h"
#include "nmt/common/logging.h"
#include "nmt/common/signals.h"
#include "nmt/common/threads.h"
#include "nmt/train/trainer.h"

namespace nmt::cli {
namespace {

struct TrainCliOptions {
  ConfigFlags config;
  bool resume = false;
  std::string device = "auto";
  int nproc = 1;
};

void run_train(const TrainCliOptions& opt) {
  const Config config = opt.config.load();
  train::TrainOptions options;
  options.ranks = train::RankInfo::from_environment();
  if (opt.nproc > 1) {
    if (options.ranks.distributed()) {
      throw ConfigError("--nproc " + std::to_string(opt.nproc) + " starts ranks itself: do not also set WORLD_SIZE=" +
                        std::to_string(options.ranks.world_size) + " (torchrun, srun)");
    }
    const int status = train::run_local_ranks(opt.nproc, train::dist_timeout(config.training));
    if (status != 0) std::exit(status);  // the rank that failed has said why
    return;
  }
  if (options.ranks.rank > 0) log::init(0);  // rank 0 speaks for all; the others only warn
  options.resume = opt.resume;
  options.device = opt.device;
  // Ranks on one host share its cores.
  int64_t threads = config.training.threads;
  if (threads == 0 && options.ranks.local_world_size > 1) {
    threads = std::max(1, available_cores() / options.ranks.local_world_size);
  }
  options.threads = set_threads(threads);
  options.live_progress = ::isatty(STDERR_FILENO) == 1 && options.ranks.rank == 0;
  if (train::train(config, options).stop_reason == "interrupted") std::exit(stop_exit_status());  // last.pt saved
}

}  // namespace

Verb setup_train(CLI::App& app) {
  auto opt = std::make_shared<TrainCliOptions>();
  CLI::App* sub = app.add_subcommand("train", "Train a model; Ctrl-C saves a checkpoint that --resume continues");
  opt->config.add_to(sub, "training.lr=0.001");
  sub->add_flag("--resume", opt->resume, "Continue from model_dir/checkpoints/last.pt");
  sub->add_option("--device", opt->device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  sub->add_option("--nproc", opt->nproc,
                  "Train data-parallel on N local processes, one rank each (for more hosts, torchrun or srun: see the "
                  "README)")
      ->check(within<int>(Range::at_least(1)))
      ->capture_default_str();
  return {sub, [opt] { run_train(*opt); }};
}

}  // namespace nmt::cli
