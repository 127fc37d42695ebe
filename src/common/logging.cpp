#include "nmt/common/logging.h"

#include <fcntl.h>

#include <algorithm>
#include <exception>
#include <mutex>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "nmt/common/fs.h"
#include "nmt/common/utf8.h"

namespace nmt::log {
namespace {

// %* : the message, escaped as error messages are (utf8::printable), so that a
// logged path cannot drive the terminal or split the line.
class PrintablePayload : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string text = utf8::printable(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<PrintablePayload>(); }
};

std::unique_ptr<spdlog::formatter> formatter(const std::string& pattern) {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<PrintablePayload>('*').set_pattern(pattern);
  return f;
}

}  // namespace

// Appends each line to a file with a checked write. A sink cannot throw to
// the code that logged (spdlog would print its own complaint), so the first
// failure is kept for FileLog::check() and the sink writes nothing more.
class FileLog::Sink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit Sink(const std::string& path) : file_(path, O_WRONLY | O_CREAT | O_APPEND) {}

  std::exception_ptr error() {
    const std::lock_guard<std::mutex> hold(mutex_);
    return error_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (error_) return;
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    try {
      file_.write(line.data(), line.size());
    } catch (...) {
      error_ = std::current_exception();
    }
  }
  void flush_() override {}  // every line is written at once

 private:
  PosixFile file_;
  std::exception_ptr error_;
};

void init(int verbosity) {
  auto logger = spdlog::get("nmt");
  if (!logger) logger = spdlog::stderr_color_mt("nmt");
  logger->set_formatter(formatter("%^%Y-%m-%d %H:%M:%S %L%$ %*"));
  const auto level = verbosity <= 0 ? spdlog::level::warn : verbosity == 1 ? spdlog::level::info : spdlog::level::debug;
  // The terminal shows what was asked for; a log file (FileLog) always gets info.
  logger->sinks().front()->set_level(level);
  logger->set_level(std::min(level, spdlog::level::info));
  logger->flush_on(spdlog::level::info);  // train.log holds every line printed, even after a crash
  spdlog::set_default_logger(logger);
}

FileLog::FileLog(const std::string& path) : sink_(std::make_shared<Sink>(path)) {
  sink_->set_formatter(formatter("%Y-%m-%d %H:%M:%S %L %*"));
  sink_->set_level(spdlog::level::info);
  spdlog::default_logger()->sinks().push_back(sink_);
}

void FileLog::check() const {
  if (const auto error = sink_->error()) std::rethrow_exception(error);
}

FileLog::~FileLog() {
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
}

}  // namespace nmt::log
