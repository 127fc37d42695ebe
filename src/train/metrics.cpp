#include "nmt/train/metrics.h"

#include "nmt/common/error.h"

namespace nmt::train {

MetricsLog::MetricsLog(const std::string& path) : path_(path), out_(path, std::ios::app) {
  if (!out_) throw DataError("cannot write '" + path + "'");
}

void MetricsLog::write(const nlohmann::json& event) {
  out_ << event.dump() << '\n';
  out_.flush();
  if (!out_) throw DataError("cannot write '" + path_ + "'");
}

}  // namespace nmt::train
