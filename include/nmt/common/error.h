// Error types. A user's mistake throws one of these with what was expected,
// what was found and where (file, line or config key). main() turns them into
// one line on stderr and exit code 2; anything else is a runtime failure (1).
#pragma once

#include <stdexcept>
#include <string>

namespace nmt {

class NmtError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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

/// Exit codes of the CLI contract.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;

}  // namespace nmt
