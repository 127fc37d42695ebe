// model_dir/metrics.jsonl: one JSON object per progress line, validation and
// end of a run, flushed as it is written so that the file can be read (and
// plotted) while training runs.
#pragma once

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace nmt::train {

class MetricsLog {
 public:
  /// Appends to `path`; DataError naming it when it cannot be opened.
  explicit MetricsLog(const std::string& path);
  /// Writes `event` as one line; DataError naming the file when that fails.
  void write(const nlohmann::json& event);

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace nmt::train
