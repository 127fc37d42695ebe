// nmt average: one checkpoint whose weights are the mean of several of a run's.
#include <filesystem>
#include <memory>

#include "cli/checks.h"
#include "cli/verbs.h"
#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/common/logging.h"
#include "nmt/model/checkpoint.h"
#include "nmt/model/load.h"

namespace nmt::cli {
namespace {

struct AverageOptions {
  std::string model_dir;
  int64_t last = 0;
  int64_t best = 0;
  std::vector<std::string> checkpoints;
  std::string output;
};

void run_average(const AverageOptions& opt) {
  if ((opt.last > 0) + (opt.best > 0) + !opt.checkpoints.empty() != 1) {
    throw ConfigError("nmt average needs one of --last N, --best N or checkpoint files");
  }
  if (opt.output.empty()) throw ConfigError("--output is empty: name the checkpoint to write");
  std::error_code ec;
  if (!std::filesystem::is_directory(opt.model_dir, ec)) {
    throw DataError("--model '" + opt.model_dir + "' is not a directory: give the model directory the checkpoints are in");
  }
  const auto inputs = opt.last > 0   ? model::last_checkpoints(opt.model_dir, opt.last)
                      : opt.best > 0 ? model::best_checkpoints(opt.model_dir, opt.best)
                                     : opt.checkpoints;
  // Nor over a file the run keeps: a checkpoint, its vocabulary, its config, its log.
  std::vector<std::string> theirs = files_under({opt.model_dir});
  theirs.insert(theirs.end(), inputs.begin(), inputs.end());
  require_output_is_not_an_input(opt.output, theirs, "-o");
  model::average_checkpoints(opt.model_dir, inputs, opt.output);
  NMT_INFO("average", "wrote {}: the mean of {} checkpoints (translate it with --checkpoint {})", opt.output,
           inputs.size(), opt.output);
}

}  // namespace

Verb setup_average(CLI::App& app) {
  auto opt = std::make_shared<AverageOptions>();
  CLI::App* sub = app.add_subcommand("average", "Average the weights of checkpoints of one run into one checkpoint");
  sub->add_option("-m,--model", opt->model_dir, "Model directory the checkpoints belong to")->required()->type_name("DIR");
  sub->add_option("--last", opt->last, "Average the newest N numbered checkpoints (step-N.pt)")
      ->check(within<int64_t>(Range::at_least(1)));
  sub->add_option("--best", opt->best, "Average the N best checkpoints kept by training.keep_best")
      ->check(within<int64_t>(Range::at_least(1)));
  sub->add_option("checkpoints", opt->checkpoints, "Checkpoint files to average")->type_name("FILE");
  sub->add_option("-o,--output", opt->output, "The averaged checkpoint to write")->required()->type_name("FILE");
  return {sub, [opt] { run_average(*opt); }};
}

}  // namespace nmt::cli
