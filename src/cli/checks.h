// Range checks of command-line values that are not config keys, worded as the
// config's own: "--steps: must be >= 1, got 0". NaN is never in range.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "nmt/common/config.h"

namespace nmt::cli {

/// `text` as a number when all of it is one.
inline std::optional<double> to_number(const std::string& text) {
  std::size_t used = 0;
  try {
    const double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

inline CLI::Validator within(Range range) {
  return CLI::Validator(
      [range](std::string& value) -> std::string {
        const auto v = to_number(value);
        if (!v) return "expected a number, got '" + value + "'";
        return range.contains(*v) ? std::string() : "must be " + range.describe() + ", got " + value;
      },
      range.describe());
}

}  // namespace nmt::cli
