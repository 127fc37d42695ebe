#include "nmt/train/metrics.h"

#include <fcntl.h>

namespace nmt::train {

MetricsLog::MetricsLog(const std::string& path) : file_(path, O_WRONLY | O_CREAT | O_APPEND) {}

void MetricsLog::write(const nlohmann::json& event) {
  const std::string line = event.dump() + "\n";
  file_.write(line.data(), line.size());
}

}  // namespace nmt::train
