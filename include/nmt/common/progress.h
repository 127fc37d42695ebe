// The live progress line of a long job on a terminal, and durations for people.
#pragma once

#include <chrono>
#include <string>

namespace nmt {

/// One line redrawn in place on stderr (at most 5 times a second), when `live`;
/// otherwise nothing, and the caller's log lines say it all.
class ProgressLine {
 public:
  explicit ProgressLine(bool live) : live_(live) {}

  void draw(const std::string& text);
  /// Clears the line, before a log line is printed.
  void clear();

 private:
  bool live_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

/// "[#######.......]": `fraction` (clamped to [0, 1]) of `width` cells filled.
std::string progress_bar(double fraction, int width);

/// "42s", "3m07s", "2h05m".
std::string human_duration(double seconds);

}  // namespace nmt
