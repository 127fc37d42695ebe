#include "nmt/data/lines.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/common/memory.h"
#include "nmt/common/utf8.h"

namespace nmt::data {

LineReader::LineReader(const std::string& path, std::size_t max_line_bytes, bool squeeze_spaces)
    : max_bytes_(std::min(max_line_bytes, kMaxLineBytes)), squeeze_(squeeze_spaces) {
  if (max_bytes_ == 0) throw std::invalid_argument("LineReader: max_line_bytes must be positive");
  if (path == "-") {
    path_ = "<stdin>";
    fd_ = STDIN_FILENO;
    return;
  }
  path_ = path;
  require_readable_file(path, "file");
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw DataError("cannot read '" + path + "': " + std::strerror(errno));
  owns_fd_ = true;
}

LineReader::~LineReader() {
  if (owns_fd_) ::close(fd_);
}

std::string line_location(const std::string& source, int64_t line) {
  if (source.empty()) return "line " + std::to_string(line);
  if (source == "<stdin>") return source + ": line " + std::to_string(line);
  return source + ":" + std::to_string(line);
}

bool LineReader::buffered_line() const { return buf_.find('\n', pos_) != std::string::npos; }

bool LineReader::waiting() const {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

void LineReader::read_more() {
  buf_.erase(0, pos_);
  pos_ = 0;
  char chunk[1 << 16];
  ssize_t n;
  do {
    n = ::read(fd_, chunk, sizeof chunk);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    throw DataError("cannot read '" + path_ + "' after line " + std::to_string(line_no_) + ": " +
                    std::strerror(errno));
  }
  if (n == 0) eof_ = true;
  if (n > 0) append(chunk, static_cast<std::size_t>(n));
}

void LineReader::append(const char* data, std::size_t n) {
  if (!squeeze_) {
    buf_.append(data, n);
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const char c = data[i];
    const bool blank = c == ' ' || c == '\t';
    if (blank && after_blank_) continue;
    buf_.push_back(blank ? ' ' : c);
    after_blank_ = blank || c == '\n';
  }
}

bool LineReader::ready() {
  // A line over the limit is ready once its first max_bytes_ are here: next() keeps no more.
  while (!buffered_line() && !eof_ && buf_.size() - pos_ <= max_bytes_) {
    if (!waiting()) return false;
    read_more();  // poll said there is input (or its end): read(2) returns at once
  }
  return true;
}

void LineReader::skip_rest_of_line() {
  while (true) {
    const std::size_t nl = buf_.find('\n', pos_);
    if (nl != std::string::npos) {
      pos_ = nl + 1;
      return;
    }
    pos_ = buf_.size();  // all of it belongs to the line being skipped
    if (eof_) return;
    read_more();
  }
}

namespace {

// Drops a character that a cut at line.size() split.
void cut_at_character(std::string& line) {
  std::size_t start = line.size();
  while (start > 0 && (static_cast<unsigned char>(line[start - 1]) & 0xC0) == 0x80) --start;
  if (start == 0) return;
  const auto lead = static_cast<unsigned char>(line[start - 1]);
  const std::size_t len = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  if (start - 1 + len > line.size()) line.resize(start - 1);
}

}  // namespace

bool LineReader::next(std::string& line) {
  std::size_t nl;
  std::size_t scanned = 0;  // of the unread part, already searched for '\n'
  cut_ = false;
  while ((nl = buf_.find('\n', pos_ + scanned)) == std::string::npos && !eof_) {
    if (buf_.size() - pos_ > max_bytes_) break;  // cut below, whatever follows
    scanned = buf_.size() - pos_;
    read_more();
  }
  if (nl == std::string::npos) {
    if (pos_ == buf_.size()) return false;
    nl = buf_.size();  // a last line without a newline, or one being cut
  }
  if (nl - pos_ > max_bytes_) {
    if (refuse_long_) {
      throw DataError(location(line_no_ + 1) + ": a line longer than " + std::to_string(max_bytes_) + " bytes");
    }
    line.assign(buf_, pos_, max_bytes_);
    cut_at_character(line);
    cut_ = true;
    pos_ += max_bytes_;
    skip_rest_of_line();
  } else {
    line.assign(buf_, pos_, nl - pos_);
    pos_ = std::min(nl + 1, buf_.size());
  }
  ++line_no_;
  if (!cut_ && !line.empty() && line.back() == '\r') line.pop_back();
  if (const std::size_t bad = utf8::find_invalid(line); bad != utf8::kValid) {
    throw DataError(location(line_no_) + ": invalid UTF-8 at byte " + std::to_string(bad + 1));
  }
  return true;
}

std::vector<std::string> read_lines(const std::string& path, const ReadLimits& limits) {
  LineReader reader(path);
  reader.refuse_long_lines();
  const uint64_t budget = available_memory_bytes() / 2;
  uint64_t held = 0;
  std::vector<std::string> lines;
  for (std::string line; reader.next(line);) {
    if (lines.size() == limits.max_lines) {
      throw DataError("'" + reader.path() + "' has more than " + std::to_string(limits.max_lines) + " lines" +
                      limits.why);
    }
    // The text's block (with malloc's header) where it is not inside the string, and the
    // string three times over: in the vector, its spare capacity, and the copy when it grows.
    held += (line.capacity() > sizeof line / 2 ? line.capacity() + 16 : 0) + 3 * sizeof line;
    if (held > budget) {
      throw DataError("'" + reader.path() + "' holds more than " + std::to_string(budget >> 20) +
                      " MiB of text by line " + std::to_string(reader.line_number()) +
                      ", half of the memory available to nmt");
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

namespace {

// A corpus is read more than once and known by its size and time: a pipe or a
// device (/dev/zero, whose one line never ends) cannot be one.
const std::string& corpus_file(const std::string& path) {
  require_regular_file(path, "corpus file");
  return path;
}

}  // namespace

ParallelReader::ParallelReader(const std::string& src_path, const std::string& tgt_path)
    : src_(corpus_file(src_path)), tgt_(corpus_file(tgt_path)) {}

bool ParallelReader::next(std::string& src, std::string& tgt) {
  const bool has_src = src_.next(src);
  const bool has_tgt = tgt_.next(tgt);
  if (has_src == has_tgt) return has_src;
  // One file ended early: count the rest of the longer one for the message.
  LineReader& longer = has_src ? src_ : tgt_;
  const LineReader& shorter = has_src ? tgt_ : src_;
  std::string rest;
  while (longer.next(rest)) {
  }
  throw DataError("corpus files have different line counts: '" + src_.path() + "' has " +
                  std::to_string(src_.line_number()) + " lines, '" + tgt_.path() + "' has " +
                  std::to_string(tgt_.line_number()) + " (the shorter is '" + shorter.path() + "')");
}

void check_parallel(const FilePair& files) {
  ParallelReader reader(files.src, files.tgt);
  std::string src, tgt;
  int64_t n = 0;
  while (reader.next(src, tgt)) ++n;
  if (n == 0) throw DataError("corpus files '" + files.src + "' and '" + files.tgt + "' are empty");
}

bool next_chunk(LineReader& reader, std::vector<std::string>& lines, std::vector<bool>& cut, std::size_t max_lines) {
  lines.clear();
  cut.clear();
  std::string line;
  while (lines.size() < max_lines && (lines.empty() || reader.ready()) && reader.next(line)) {
    lines.push_back(std::move(line));
    cut.push_back(reader.cut());
  }
  return !lines.empty();
}

}  // namespace nmt::data
