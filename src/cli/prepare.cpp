// nmt prepare (alias: vocab): build the vocabulary and the binarized corpus cache.
#include <memory>
#include <optional>

#include "cli/verbs.h"
#include "nmt/common/config.h"
#include "nmt/common/logging.h"
#include "nmt/common/threads.h"
#include "nmt/data/dataset.h"

namespace nmt::cli {
namespace {

struct PrepareOptions {
  std::string config;
  std::vector<std::string> overrides;  // --set KEY=VALUE
  std::optional<std::string> threads;  // sets training.threads, checked as the config's value
};

void run_prepare(const PrepareOptions& opt) {
  std::vector<Override> overrides;
  for (const auto& o : opt.overrides) overrides.push_back(Override::from_set(o));
  if (opt.threads) overrides.push_back({"training.threads", *opt.threads, "--threads"});
  const Config config = load_config(opt.config, overrides);
  const int threads = set_threads(static_cast<int>(config.training.threads));
  const data::Dataset d = data::prepare_model_dir(config, threads);
  NMT_INFO("data", "vocabulary: {} pieces{}; {} training pairs ready in {}", d.vocabs.src.size(),
           d.vocabs.joint ? " (joint)" : "", d.train->size(), config.model_dir);
}

}  // namespace

Verb setup_prepare(CLI::App& app) {
  auto opt = std::make_shared<PrepareOptions>();
  CLI::App* sub = app.add_subcommand(
      "prepare", "Build the SentencePiece vocabulary and the encoded corpus cache of a config (also: vocab)");
  sub->alias("vocab");
  sub->add_option("-c,--config", opt->config, "JSON config file")->required();
  sub->add_option("--set", opt->overrides, "Override a config key: --set vocab.size=4000");
  sub->add_option("--threads", opt->threads, "CPU threads (default: training.threads, 0 = all cores)")
      ->type_name("INT >= 0");
  return {sub, [opt] { run_prepare(*opt); }};
}

}  // namespace nmt::cli
