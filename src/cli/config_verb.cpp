// nmt config: print the resolved config, or the reference of every key.
#include <memory>

#include "cli/verbs.h"
#include "nmt/common/config.h"
#include "nmt/common/error.h"
#include "nmt/common/fs.h"

namespace nmt::cli {
namespace {

struct ConfigOptions {
  std::string config;
  std::vector<std::string> overrides;
  bool reference = false;
};

void run_config(const ConfigOptions& opt) {
  if (opt.reference) {
    write_stdout(config_reference_markdown());
    return;
  }
  if (opt.config.empty()) throw ConfigError("nmt config needs --config FILE or --reference");
  write_stdout(config_to_json(load_config(opt.config, opt.overrides)));
}

}  // namespace

Verb setup_config(CLI::App& app) {
  auto opt = std::make_shared<ConfigOptions>();
  CLI::App* sub = app.add_subcommand("config", "Check a config and print it resolved, or print the key reference");
  sub->add_option("-c,--config", opt->config, "JSON config file")->type_name("FILE");
  sub->add_option("--set", opt->overrides, "Override a config key: --set training.lr=0.001");
  sub->add_flag("--reference", opt->reference, "Print every key with its type, default and meaning (Markdown)");
  return {sub, [opt] { run_config(*opt); }};
}

}  // namespace nmt::cli
