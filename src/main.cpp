// nmt: parses the command line, runs one verb, and maps errors to exit codes:
// 0 success, 2 bad usage/config/input (one line naming the file or key), 1 runtime failure.
#include <algorithm>
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include <c10/util/Exception.h>

#include "cli/verbs.h"
#include "nmt/common/config.h"
#include "nmt/common/error.h"
#include "nmt/common/logging.h"
#include "nmt/common/threads.h"

namespace {

// One line: errors from libraries may span several.
std::string one_line(std::string s) {
  const auto nl = s.find('\n');
  if (nl != std::string::npos) s.erase(nl);
  return s;
}

int fail(int code, const std::string& message) {
  std::cerr << "nmt: error: " << one_line(message) << "\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  nmt::tune_process(argv);
  // Past a file-size limit, write(2) fails with EFBIG, reported as any failed
  // write is, instead of the signal killing the process without a word.
  std::signal(SIGXFSZ, SIG_IGN);
  nmt::set_threads(0);  // every core unless a verb says otherwise; --version reports it
  CLI::App app{"nmt: neural machine translation (RNNsearch, Transformer) on LibTorch"};
  app.name("nmt");
  app.require_subcommand(1);
  app.set_version_flag("--version", [] { return "nmt " NMT_VERSION "\n" + nmt::runtime_summary(); });
  int verbose = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "More log lines on stderr (-vv: debug)");
  app.add_flag("-q,--quiet", quiet, "Only warnings and errors on stderr");

  const std::vector<nmt::cli::Verb> verbs = {nmt::cli::setup_train(app), nmt::cli::setup_translate(app),
                                             nmt::cli::setup_eval(app),  nmt::cli::setup_prepare(app),
                                             nmt::cli::setup_config(app), nmt::cli::setup_average(app),
                                             nmt::cli::setup_bench(app),  nmt::cli::setup_plot(app)};
  if (argc > 1 && argv[1][0] != '-') {
    const std::string verb = argv[1];
    std::vector<std::string> names;
    for (const auto& [sub, run] : verbs) {
      names.push_back(sub->get_name());
      for (const auto& alias : sub->get_aliases()) names.push_back(alias);
    }
    if (std::find(names.begin(), names.end(), verb) == names.end()) {
      const std::string close = nmt::closest_match(verb, names);
      return fail(nmt::kExitUsage, "unknown verb '" + verb + "'" +
                                       (close.empty() ? "" : " (did you mean '" + close + "'?)") + "; see nmt --help");
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return fail(nmt::kExitUsage, std::string(e.what()) + " (see nmt --help)");
  }

  try {
    nmt::log::init(quiet ? 0 : 1 + verbose);
    for (const auto& [sub, run] : verbs) {
      if (sub->parsed()) run();
    }
    return nmt::kExitOk;
  } catch (const nmt::OutputClosed&) {
    return nmt::kExitOutputClosed;
  } catch (const nmt::NmtError& e) {
    return fail(nmt::kExitUsage, e.what());
  } catch (const c10::Error& e) {
    return fail(nmt::kExitRuntime, e.what_without_backtrace());
  } catch (const std::exception& e) {
    return fail(nmt::kExitRuntime, e.what());
  }
}
