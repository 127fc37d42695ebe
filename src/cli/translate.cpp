// nmt translate: stdin to stdout, line by line, in order, streamed chunk by chunk.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>

#include "cli/model_options.h"
#include "cli/verbs.h"
#include "nmt/common/error.h"
#include "nmt/common/utf8.h"

namespace nmt::cli {
namespace {

constexpr std::size_t kChunkLines = 2000;  // lines sorted and batched together at most

// Reads lines from a file descriptor and hands them over in chunks: a chunk
// ends when kChunkLines are collected or when no more input is waiting, so an
// interactive user gets each answer at once and a pipe is translated in bulk.
class LineChunks {
 public:
  explicit LineChunks(int fd) : fd_(fd) {}

  bool next(std::vector<std::string>& lines) {
    lines.clear();
    while (true) {
      std::size_t nl;
      while (lines.size() < kChunkLines && (nl = buf_.find('\n', pos_)) != std::string::npos) {
        take(lines, nl);
      }
      if (lines.size() == kChunkLines) return true;
      if (eof_) {
        if (pos_ < buf_.size()) take(lines, buf_.size());  // a last line without newline
        return !lines.empty();
      }
      if (!lines.empty() && !input_waiting()) return true;
      read_more();
    }
  }

 private:
  void take(std::vector<std::string>& lines, std::size_t end) {
    std::string line = buf_.substr(pos_, end - pos_);
    pos_ = end + 1;
    ++line_no_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (const auto bad = utf8::find_invalid(line); bad != utf8::kValid) {
      throw DataError("<stdin>: line " + std::to_string(line_no_) + ": invalid UTF-8 at byte " +
                      std::to_string(bad + 1));
    }
    lines.push_back(std::move(line));
  }

  bool input_waiting() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

  void read_more() {
    buf_.erase(0, pos_);
    pos_ = 0;
    char tmp[1 << 16];
    ssize_t n;
    do {
      n = ::read(fd_, tmp, sizeof tmp);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw DataError("cannot read <stdin>: " + std::string(std::strerror(errno)));
    if (n == 0) eof_ = true;
    buf_.append(tmp, static_cast<std::size_t>(n > 0 ? n : 0));
  }

  int fd_;
  std::string buf_;
  std::size_t pos_ = 0;
  bool eof_ = false;
  int64_t line_no_ = 0;
};

void run_translate(const ModelOptions& opt) {
  auto session = open_model(opt);
  search::Translator translator(*session.loaded.model, session.loaded.vocabs, session.search, session.device);
  const bool nbest = opt.n_best.has_value();
  LineChunks input(STDIN_FILENO);
  std::vector<std::string> lines;
  int64_t first = 0;  // index of the chunk's first line
  while (input.next(lines)) {
    const auto out = translator.translate(lines);
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!nbest) {
        std::cout << out[i].front().text << '\n';
        continue;
      }
      for (const auto& t : out[i]) {
        std::cout << first + static_cast<int64_t>(i) << " ||| " << t.text << " ||| " << t.score << '\n';
      }
    }
    std::cout.flush();
    first += static_cast<int64_t>(lines.size());
  }
}

}  // namespace

Verb setup_translate(CLI::App& app) {
  auto opt = std::make_shared<ModelOptions>();
  CLI::App* sub = app.add_subcommand("translate", "Translate stdin to stdout, one sentence per line");
  sub->add_option("-m,--model", opt->model_dir, "Model directory written by nmt train")->required();
  add_model_options(sub, *opt);
  return {sub, [opt] { run_translate(*opt); }};
}

}  // namespace nmt::cli
