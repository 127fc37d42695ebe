#include "nmt/common/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace nmt::log {

void init(int verbosity) {
  auto logger = spdlog::get("nmt");
  if (!logger) logger = spdlog::stderr_color_mt("nmt");
  logger->set_pattern("%^%Y-%m-%d %H:%M:%S %L%$ %v");
  logger->set_level(verbosity <= 0   ? spdlog::level::warn
                    : verbosity == 1 ? spdlog::level::info
                                     : spdlog::level::debug);
  spdlog::set_default_logger(logger);
}

}  // namespace nmt::log
