// Reading text one line at a time, as every verb does: corpora, references,
// hypotheses, metrics and the stdin of `nmt translate`. A line ends at "\n"; a
// trailing "\r" is dropped; a line that is not valid UTF-8 is a DataError
// naming the file, the line and the byte. Memory stays bounded whatever the
// input: no line is kept past a limit, and read_lines() holds no more than
// the machine can.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nmt/common/config.h"

namespace nmt::data {

/// Where line `line` of `source` is, for messages: "PATH:N", "<stdin>: line N",
/// or "line N" when `source` is empty.
std::string line_location(const std::string& source, int64_t line);

/// The longest line any reader keeps: 1 MiB, far past any sentence.
inline constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;

class LineReader {
 public:
  /// Opens `path`, or reads standard input when it is "-" (named "<stdin>" in
  /// errors). A missing file, a directory or an unreadable one is a DataError.
  /// A line longer than `max_line_bytes` (at most kMaxLineBytes) is returned
  /// cut to that many bytes (at a character boundary), with cut() true, and
  /// the rest of it is read past without being kept. With `squeeze_spaces`,
  /// runs of spaces and tabs count and come back as one space, and leading
  /// ones not at all, as SentencePiece's normalisation would have them:
  /// blanks alone do not reach the limit.
  explicit LineReader(const std::string& path, std::size_t max_line_bytes = kMaxLineBytes,
                      bool squeeze_spaces = false);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  /// Next line into `line`; false at the end of the input.
  bool next(std::string& line);
  /// From now on a line longer than max_line_bytes is a DataError naming it,
  /// thrown as soon as the limit is passed, instead of being cut.
  void refuse_long_lines() { refuse_long_ = true; }
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
  void append(const char* data, std::size_t n);
  bool waiting() const;
  void skip_rest_of_line();

  std::string path_;
  int fd_ = -1;
  bool owns_fd_ = false;
  std::string buf_;
  std::size_t pos_ = 0;  // start of the unread part of buf_
  bool eof_ = false;
  int64_t line_no_ = 0;
  std::size_t max_bytes_ = kMaxLineBytes;
  bool squeeze_ = false;
  bool refuse_long_ = false;
  bool after_blank_ = true;  // squeezing: the last byte kept was a blank or a line's end
  bool cut_ = false;
};

/// Reads two line-aligned files in lockstep; different line counts are a
/// DataError naming both files and both counts.
class ParallelReader {
 public:
  ParallelReader(const std::string& src_path, const std::string& tgt_path);
  bool next(std::string& src, std::string& tgt);
  int64_t line_number() const { return src_.line_number(); }
  /// True when a side of the pair last returned was cut (LineReader::cut).
  bool cut() const { return src_.cut() || tgt_.cut(); }

 private:
  LineReader src_;
  LineReader tgt_;
};

/// Reads both files through once: equal line counts, valid UTF-8, not empty.
/// Cheap next to training, and it stops bad data before any work is done.
void check_parallel(const FilePair& files);

struct ReadLimits {
  /// More lines than this are a DataError ("more than N lines" + `why`).
  std::size_t max_lines = static_cast<std::size_t>(-1);
  std::string why;
};

/// Every line of `path` ("-": standard input), within `limits`. A line longer
/// than kMaxLineBytes is a DataError naming it, and all of them together may
/// hold at most half of the memory available when it starts
/// (nmt/common/memory.h); past that, a DataError naming the file.
std::vector<std::string> read_lines(const std::string& path, const ReadLimits& limits = {});

/// Reads a chunk of at most `max_lines` lines into `lines`: it waits for the
/// first, then takes only what is ready, so that an interactive user gets each
/// answer at once and a pipe is read in bulk; cut[i] is LineReader::cut() of
/// lines[i]. False at the end of the input.
bool next_chunk(LineReader& reader, std::vector<std::string>& lines, std::vector<bool>& cut, std::size_t max_lines);

}  // namespace nmt::data
