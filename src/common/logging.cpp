#include "nmt/common/logging.h"

#include <algorithm>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "nmt/common/error.h"

namespace nmt::log {

void init(int verbosity) {
  auto logger = spdlog::get("nmt");
  if (!logger) logger = spdlog::stderr_color_mt("nmt");
  logger->set_pattern("%^%Y-%m-%d %H:%M:%S %L%$ %v");
  const auto level = verbosity <= 0 ? spdlog::level::warn : verbosity == 1 ? spdlog::level::info : spdlog::level::debug;
  // The terminal shows what was asked for; a log file (FileLog) always gets info.
  logger->sinks().front()->set_level(level);
  logger->set_level(std::min(level, spdlog::level::info));
  logger->flush_on(spdlog::level::info);  // train.log holds every line printed, even after a crash
  spdlog::set_default_logger(logger);
}

FileLog::FileLog(const std::string& path) {
  try {
    sink_ = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false);
  } catch (const spdlog::spdlog_ex& e) {
    throw DataError("cannot write log file '" + path + "': " + e.what());
  }
  sink_->set_pattern("%Y-%m-%d %H:%M:%S %L %v");
  sink_->set_level(spdlog::level::info);
  spdlog::default_logger()->sinks().push_back(sink_);
}

FileLog::~FileLog() {
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
}

}  // namespace nmt::log
