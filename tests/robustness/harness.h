// The robustness suite: real bad input and real faults fed to the real nmt
// binary. Each case is a bash command with these variables set:
//   $NMT    the nmt binary          $D    a fresh scratch directory
//   $M      a small trained model   $CFG  a config training a tiny RNNsearch into $D/m
//   $TOY    the toy corpus          $HERE this directory (helper scripts)
//   $FAULT  a library that, preloaded, fails writes to one file (fault_inject.c)
// and run_case() checks the exit code, that a refusal is one line on stderr
// naming the culprit, that stdout is empty unless the case expects output, and
// that no file that existed before (in $D and $M) was changed or left behind
// half-written. Every case is recorded; with NMT_RELIABILITY_REPORT=FILE the
// suite writes them as the table of docs/reliability.md (scripts/reliability.sh).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace nmt::robustness {

/// What a command did.
struct Outcome {
  int code = -1;  // exit status, or 128 + the signal that ended it
  std::string out, err;
  long peak_rss_mb = 0;  // of the largest process the command ran
};

/// Every regular file under `root` by relative path, with its contents.
using Snapshot = std::map<std::string, std::string>;
Snapshot snapshot(const std::string& root);

/// Files of `before` that `after` lacks or holds changed, and temporary files
/// (nmt::is_temporary_name) in `after`; empty when nothing was lost or left behind.
std::vector<std::string> damage(const Snapshot& before, const Snapshot& after);

struct Case {
  std::string kind;     // the section of the report
  std::string fed;      // the bad input or fault, in words
  std::string command;  // bash, in the variables above; shown in the report
  int code = 2;         // the exit status expected
  // For a failure (code != 0): text the one line on stderr must contain.
  // For a success: text some line on stderr must contain (a warning), or "".
  std::string message;
  std::string setup;             // bash run before the snapshot is taken; not reported
  bool stdout_expected = false;  // a success that prints (translations, scores), or a refusal after printing
  // Further checks, given the outcome and $D.
  std::function<void(const Outcome&, const std::string& dir)> check;
  // For what the report's "lost" column says beyond the snapshot check.
  std::string note;
  bool show_memory = false;  // report the peak RSS
  bool recorded = true;      // a row of its own in the report (batteries summarise theirs)
};

/// Runs one case in a fresh $D and checks it as described above.
void run_case(const Case& c);

/// Runs a bash script with the suite's variables ($D = `dir`).
Outcome run_bash(const std::string& script, const std::string& dir);

/// Records a result checked by hand (loops of kills, for instance).
void record(const std::string& kind, const std::string& fed, const std::string& command, const std::string& did,
            const std::string& lost);

/// The shared trained model ($M).
const std::string& model_dir();

/// Writes DIR/c.json: the config $M was trained with, into `model_dir`, with
/// the `training` keys (a JSON object) changed. Returns its path.
std::string write_config(const std::string& dir, const std::string& model_dir, const std::string& training = "{}");

/// Setup that copies $M to $D/m, for cases that damage or continue it.
inline const std::string kCopyModel = "cp -r \"$M\" m; ";

}  // namespace nmt::robustness
