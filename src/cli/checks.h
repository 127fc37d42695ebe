// Range checks of command-line values that are not config keys, worded as the
// config's own: "--steps: must be >= 1, got 0". NaN is never in range.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "nmt/common/config.h"

namespace nmt::cli {

inline CLI::Validator within(Range range) {
  return CLI::Validator(
      [range](std::string& value) -> std::string {
        std::size_t used = 0;
        double v = 0;
        try {
          v = std::stod(value, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != value.size()) return "expected a number, got '" + value + "'";
        return range.contains(v) ? std::string() : "must be " + range.describe() + ", got " + value;
      },
      range.describe());
}

}  // namespace nmt::cli
