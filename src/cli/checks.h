// Range checks of command-line values that are not config keys, worded as the
// config's own: "--steps: must be >= 1, got 0". NaN is never in range.
#pragma once

#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "nmt/common/config.h"

namespace nmt::cli {

/// `text` as a number when all of it is one.
inline std::optional<double> to_number(const std::string& text) {
  // A decimal number as a JSON config writes one: no hex, inf, nan or spaces.
  if (text.empty() || text.find_first_not_of("+-.0123456789eE") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;  // an underflow (1e-320) is the nearest double, as in a config
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
