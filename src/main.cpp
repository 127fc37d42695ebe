// nmt: parses the command line, runs one verb, and maps errors to exit codes:
// 0 success, 2 bad usage/config/input (one line naming the file or key), 1 runtime failure.
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include <c10/util/Exception.h>

#include "cli/verbs.h"
#include "nmt/common/config.h"
#include "nmt/common/error.h"
#include "nmt/common/error_line.h"
#include "nmt/common/fs.h"
#include "nmt/common/logging.h"
#include "nmt/common/memory.h"
#include "nmt/common/signals.h"
#include "nmt/common/threads.h"

namespace {

// The first line: a library's errors may span several (a backtrace).
std::string first_line(std::string s) {
  const auto nl = s.find('\n');
  if (nl != std::string::npos) s.erase(nl);
  return s;
}

int fail(int code, const std::string& message) {
  nmt::print_error_line(message);
  return code;
}

// LibTorch's allocator says "[enforce fail at alloc_cpu.cpp:N] ... you tried to
// allocate N bytes ..."; nmt says what it means.
std::string torch_message(const c10::Error& e) {
  const std::string text = e.what_without_backtrace();
  const auto at = text.find("tried to allocate ");
  if (text.find("alloc_cpu") != std::string::npos || at != std::string::npos) {
    const std::string bytes = at == std::string::npos ? "" : text.substr(at + 18, text.find(' ', at + 18) - at - 18);
    return "out of memory: a tensor of " + (bytes.empty() ? std::string("more") : bytes) + " bytes was more than " +
           "this machine could give; " + std::to_string(nmt::available_memory_bytes() >> 20) +
           " MiB are available (use smaller batches or sizes)";
  }
  return first_line(text);
}

// A signal that ends nmt takes no half-written file with it: the temporary
// files of writes in progress go (nmt/common/fs.h), then the signal acts as usual.
extern "C" void end_without_temporaries(int sig) {
  nmt::remove_temporaries_in_flight();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// An exception on a thread nmt did not start (c10d's, LibTorch's) cannot be
// caught; it ends here, as one line and exit 1, not as an abort with a library's text.
[[noreturn]] void end_after_uncaught() {
  std::string what = "unknown";
  if (const auto e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      what = first_line(x.what());
    } catch (...) {
    }
  }
  const std::string hint = nmt::current_failure_hint();
  nmt::remove_temporaries_in_flight();
  fail(nmt::kExitRuntime, hint.empty() ? "a library thread failed: " + what : hint + " (" + what + ")");
  std::_Exit(nmt::kExitRuntime);
}

}  // namespace

int main(int argc, char** argv) {
  nmt::tune_process(argv);
  // Past a file-size limit, write(2) fails with EFBIG, reported as any failed
  // write is, instead of the signal killing the process without a word.
  std::signal(SIGXFSZ, SIG_IGN);
  for (const int sig : nmt::kHandledSignals) std::signal(sig, end_without_temporaries);
  nmt::deliver_signals_to_own_thread();
  std::set_terminate(end_after_uncaught);
  nmt::set_threads(0);  // every core unless a verb says otherwise; --version reports it
  CLI::App app{"nmt: neural machine translation (RNNsearch, Transformer) on LibTorch"};
  app.name("nmt");
  app.require_subcommand(1);
  app.set_version_flag("--version", [] { return "nmt " NMT_VERSION "\n" + nmt::runtime_summary(); });
  int verbose = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "More log lines on stderr (-vv: debug)");
  app.add_flag("-q,--quiet", quiet, "Only warnings and errors on stderr");

  const std::vector<nmt::cli::Verb> verbs = nmt::cli::setup_verbs(app);
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
  } catch (const nmt::AnotherRankFailed&) {
    return nmt::kExitAfterAnotherRank;
  } catch (const nmt::NmtError& e) {
    return fail(nmt::kExitUsage, e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    // A path that cannot be looked up, where no check of nmt's named it first.
    const auto& why = e.code();
    const bool theirs = why == std::errc::filename_too_long || why == std::errc::no_such_file_or_directory ||
                        why == std::errc::not_a_directory || why == std::errc::permission_denied ||
                        why == std::errc::too_many_symbolic_link_levels || why == std::errc::is_a_directory;
    return fail(theirs ? nmt::kExitUsage : nmt::kExitRuntime, "'" + e.path1().string() + "': " + why.message());
  } catch (const c10::Error& e) {
    return fail(nmt::kExitRuntime, torch_message(e));
  } catch (const std::bad_alloc&) {
    return fail(nmt::kExitRuntime, "out of memory: " + std::to_string(nmt::available_memory_bytes() >> 20) +
                                       " MiB are available (use smaller batches or inputs)");
  } catch (const std::exception& e) {
    return fail(nmt::kExitRuntime, first_line(e.what()));
  }
}
