// Error types. A user's mistake throws one of these with what was expected,
// what was found and where (file, line or config key). main() turns them into
// one line on stderr and exit code 2; anything else is a runtime failure (1).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace nmt {

namespace detail {
// A message with its NUL bytes shown as "\x00": what() is a C string, and would end at the first.
inline std::string visible_nul(std::string s) {
  for (std::size_t at; (at = s.find('\0')) != std::string::npos;) s.replace(at, 1, "\\x00");
  return s;
}
}  // namespace detail

class NmtError : public std::runtime_error {
 public:
  explicit NmtError(const std::string& what) : std::runtime_error(detail::visible_nul(what)) {}
};

/// Bad command-line usage or config: unknown key, wrong type, out of range.
class ConfigError : public NmtError {
 public:
  using NmtError::NmtError;
};

/// Bad input data: missing file, invalid UTF-8, mismatched line counts.
class DataError : public NmtError {
 public:
  using NmtError::NmtError;
};

/// Missing, truncated or corrupt checkpoint or model directory.
class CheckpointError : public NmtError {
 public:
  using NmtError::NmtError;
};

/// A failure of the system, not of the user's input: a full disk, an I/O
/// error, a file-size limit, a model directory another run holds. main() turns
/// it into one line on stderr and exit code 1.
class SystemError : public std::runtime_error {
 public:
  explicit SystemError(const std::string& what) : std::runtime_error(detail::visible_nul(what)) {}
};

/// Standard output was closed by its reader (`nmt translate | head`): main()
/// ends quietly, as a Unix tool killed by SIGPIPE does.
class OutputClosed : public std::runtime_error {
 public:
  OutputClosed() : std::runtime_error("standard output closed") {}
};

/// A rank of `nmt train --nproc` whose group broke because another rank
/// stopped: that rank, or the launcher, says why, and main() ends with
/// kExitAfterAnotherRank and no line of its own.
class AnotherRankFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What a failure on a library's own thread would most likely mean while one
/// lives (a c10d thread that reads a rendezvous peer's bytes, for one): such a
/// thread's exception cannot be caught, and ends the process through
/// std::terminate, whose handler (main's) prints current_failure_hint().
class FailureHint {
 public:
  explicit FailureHint(std::string hint);
  ~FailureHint();
  FailureHint(const FailureHint&) = delete;
  FailureHint& operator=(const FailureHint&) = delete;

 private:
  std::string previous_;
};

/// The hint of the innermost FailureHint alive, or "".
std::string current_failure_hint();

/// Exit codes of the CLI contract.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitOutputClosed = 141;  ///< 128 + SIGPIPE, what a shell reports for `yes | head`
inline constexpr int kExitAfterAnotherRank = 3;  ///< only between a rank and the --nproc launcher, which exits 1

}  // namespace nmt
