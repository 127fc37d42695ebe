// model_dir/metrics.jsonl: one JSON object per progress line, validation and
// end of a run, each written with one write(2) as it happens, so that the file
// can be read (and plotted) while training runs and a crash loses no line.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "nmt/common/fs.h"

namespace nmt::train {

class MetricsLog {
 public:
  /// Appends to `path`; an error naming it when it cannot be opened.
  explicit MetricsLog(const std::string& path);
  /// Writes `event` as one line; an error naming the file when that fails
  /// (a SystemError when the disk is full).
  void write(const nlohmann::json& event);

 private:
  PosixFile file_;
};

}  // namespace nmt::train
