// Reading text one line at a time, as every verb does: corpora, references,
// hypotheses and the stdin of `nmt translate`. A line ends at "\n"; a trailing
// "\r" is dropped; a line that is not valid UTF-8 is a DataError naming the
// file, the line and the byte.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nmt/common/config.h"

namespace nmt::data {

/// Where line `line` of `source` is, for messages: "PATH:N", "<stdin>: line N",
/// or "line N" when `source` is empty.
std::string line_location(const std::string& source, int64_t line);

class LineReader {
 public:
  /// Opens `path`, or reads standard input when it is "-" (named "<stdin>" in
  /// errors). A missing file, a directory or an unreadable one is a DataError.
  /// With `max_line_bytes` > 0, a longer line is returned cut to that many
  /// bytes (at a character boundary) and the rest of it is read past without
  /// being kept: memory stays bounded whatever the input.
  explicit LineReader(const std::string& path, std::size_t max_line_bytes = 0);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  /// Next line into `line`; false at the end of the input.
  bool next(std::string& line);
  /// True when next() returns without waiting for more input: a whole line is
  /// buffered or the input has ended. Reads what is already waiting, never blocks.
  bool ready();

  /// 1-based number of the line last returned.
  int64_t line_number() const { return line_no_; }
  /// True when the line last returned was cut to max_line_bytes.
  bool cut() const { return cut_; }
  /// The path, or "<stdin>".
  const std::string& path() const { return path_; }
  /// Where line `line` is, for messages: line_location(path(), line).
  std::string location(int64_t line) const { return line_location(path_, line); }

 private:
  bool buffered_line() const;
  void read_more();
  bool waiting() const;
  void skip_rest_of_line();

  std::string path_;
  int fd_ = -1;
  bool owns_fd_ = false;
  std::string buf_;
  std::size_t pos_ = 0;  // start of the unread part of buf_
  bool eof_ = false;
  int64_t line_no_ = 0;
  std::size_t max_bytes_ = 0;
  bool cut_ = false;
};

/// Reads two line-aligned files in lockstep; different line counts are a
/// DataError naming both files and both counts.
class ParallelReader {
 public:
  ParallelReader(const std::string& src_path, const std::string& tgt_path);
  bool next(std::string& src, std::string& tgt);
  int64_t line_number() const { return src_.line_number(); }

 private:
  LineReader src_;
  LineReader tgt_;
};

/// Reads both files through once: equal line counts, valid UTF-8, not empty.
/// Cheap next to training, and it stops bad data before any work is done.
void check_parallel(const FilePair& files);

/// Every line of `path` ("-": standard input).
std::vector<std::string> read_lines(const std::string& path);

/// Reads a chunk of at most `max_lines` lines into `lines`: it waits for the
/// first, then takes only what is ready, so that an interactive user gets each
/// answer at once and a pipe is read in bulk. False at the end of the input.
bool next_chunk(LineReader& reader, std::vector<std::string>& lines, std::size_t max_lines);

}  // namespace nmt::data
