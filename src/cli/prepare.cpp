// nmt prepare (alias: vocab): build the vocabulary and the binarized corpus cache.
#include <memory>

#include "cli/config_flags.h"
#include "cli/verbs.h"
#include "nmt/common/config.h"
#include "nmt/common/logging.h"
#include "nmt/common/threads.h"
#include "nmt/data/dataset.h"

namespace nmt::cli {
namespace {

void run_prepare(const ConfigFlags& flags) {
  const Config config = flags.load();
  const int threads = set_threads(config.training.threads);
  const data::Dataset d = data::prepare_model_dir(config, threads);
  NMT_INFO("data", "vocabulary: {} pieces{}; {} training pairs ready in {}", d.vocabs.src.size(),
           d.vocabs.joint ? " (joint)" : "", d.train->size(), config.model_dir);
}

}  // namespace

Verb setup_prepare(CLI::App& app) {
  auto opt = std::make_shared<ConfigFlags>();
  CLI::App* sub = app.add_subcommand(
      "prepare", "Build the SentencePiece vocabulary and the encoded corpus cache of a config (also: vocab)");
  sub->alias("vocab");
  opt->add_to(sub, "vocab.size=4000");
  return {sub, [opt] { run_prepare(*opt); }};
}

}  // namespace nmt::cli
