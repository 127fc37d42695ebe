// nmt average: one checkpoint whose weights are the mean of several of a run's.
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
  const auto inputs = opt.last > 0   ? model::last_checkpoints(opt.model_dir, opt.last)
                      : opt.best > 0 ? model::best_checkpoints(opt.model_dir, opt.best)
                                     : opt.checkpoints;
  // Nor over a file of the run's own: its last.pt, best.pt or a numbered checkpoint.
  std::vector<std::string> theirs = inputs;
  for (const char* own : {"last.pt", "best.pt"}) theirs.push_back(opt.model_dir + "/checkpoints/" + own);
  for (const auto& [step, path] : model::numbered_checkpoints(opt.model_dir + "/checkpoints")) theirs.push_back(path);
  require_output_is_not_an_input(opt.output, theirs, "-o");
  model::average_checkpoints(opt.model_dir, inputs, opt.output);
  NMT_INFO("average", "wrote {}: the mean of {} checkpoints (translate it with --checkpoint {})", opt.output,
           inputs.size(), opt.output);
}

}  // namespace

Verb setup_average(CLI::App& app) {
  auto opt = std::make_shared<AverageOptions>();
  CLI::App* sub = app.add_subcommand("average", "Average the weights of checkpoints of one run into one checkpoint");
  sub->add_option("-m,--model", opt->model_dir, "Model directory the checkpoints belong to")->required();
  sub->add_option("--last", opt->last, "Average the newest N numbered checkpoints (step-N.pt)")
      ->check(within(Range::at_least(1)));
  sub->add_option("--best", opt->best, "Average the N best checkpoints kept by training.keep_best")
      ->check(within(Range::at_least(1)));
  sub->add_option("checkpoints", opt->checkpoints, "Checkpoint files to average");
  sub->add_option("-o,--output", opt->output, "The averaged checkpoint to write")->required();
  return {sub, [opt] { run_average(*opt); }};
}

}  // namespace nmt::cli
