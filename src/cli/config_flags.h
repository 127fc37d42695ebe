// The flags of the verbs that run a config (train, prepare): --config, --set
// KEY=VALUE and --threads, which sets training.threads. Every one is applied
// to the config and checked as the key it sets, with errors naming the flag.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "nmt/common/config.h"

namespace nmt::cli {

struct ConfigFlags {
  std::string config;
  std::vector<std::string> sets;
  std::optional<std::string> threads;

  /// Adds -c,--config (required), --set and --threads to `sub`.
  void add_to(CLI::App* sub, const std::string& set_example) {
    sub->add_option("-c,--config", config, "JSON config file")->required()->type_name("FILE");
    sub->add_option("--set", sets, "Override a config key: --set " + set_example);
    sub->add_option("--threads", threads, "CPU threads (default: training.threads, 0 = all cores)")
        ->type_name("INT >= 0");
  }

  /// The config file with the flags applied.
  Config load() const {
    std::vector<Override> overrides;
    for (const auto& s : sets) overrides.push_back(Override::from_set(s));
    if (threads) overrides.push_back({"training.threads", *threads, "--threads"});
    return load_config(config, overrides);
  }
};

}  // namespace nmt::cli
