// Range checks of command-line values that are not config keys, worded as the
// config's own: "--steps: must be >= 1, got 0". NaN is never in range.
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

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

/// A CLI11 check of a flag's value as a T within `range`: an integral T takes
/// a decimal integer that fits it, which CLI11 alone would clamp or refuse in
/// words of its own.
template <class T = double>
CLI::Validator within(Range range) {
  return CLI::Validator(
      [range](std::string& value) -> std::string {
        const auto v = to_number(value);
        if constexpr (std::is_integral_v<T>) {
          const auto digits = value.find_first_not_of("+-");
          const bool integer = v && digits != std::string::npos && digits <= 1 &&
                               value.find_first_not_of("0123456789", digits) == std::string::npos;
          if (!integer) return "expected an integer, got '" + value + "'";
          errno = 0;
          const long long n = std::strtoll(value.c_str(), nullptr, 10);
          if (errno == ERANGE || n < std::numeric_limits<T>::min() || n > std::numeric_limits<T>::max()) {
            return "expected an integer in [" + std::to_string(std::numeric_limits<T>::min()) + ", " +
                   std::to_string(std::numeric_limits<T>::max()) + "], got " + value;
          }
        }
        if (!v) return "expected a number, got '" + value + "'";
        return range.contains(*v) ? std::string() : "must be " + range.describe() + ", got " + value;
      },
      range.describe());
}

}  // namespace nmt::cli
