// One file per verb: each setup_*() adds its subcommand to the app and returns
// the function that runs it once the command line has been parsed.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

namespace nmt::cli {

using Verb = std::pair<CLI::App*, std::function<void()>>;

Verb setup_average(CLI::App& app);
Verb setup_bench(CLI::App& app);
Verb setup_eval(CLI::App& app);
Verb setup_plot(CLI::App& app);
Verb setup_prepare(CLI::App& app);
Verb setup_config(CLI::App& app);
Verb setup_train(CLI::App& app);
Verb setup_translate(CLI::App& app);

/// Every verb, added to `app` in the order `nmt --help` lists them.
std::vector<Verb> setup_verbs(CLI::App& app);

}  // namespace nmt::cli
