// Helpers shared by the tests: temporary directories, files, and running the nmt binary.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "nmt/common/error.h"
#include "nmt/data/vocab.h"

namespace nmt::test {

/// A fresh directory under /tmp, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nmt-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The message of the NmtError or SystemError `f` throws, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const NmtError& e) {
    return e.what();
  } catch (const SystemError& e) {
    return e.what();
  }
  return "(no error)";
}

/// The project's toy corpus.
inline std::string toy(const std::string& name) { return std::string(NMT_SOURCE_DIR) + "/data/toy/" + name; }

/// Trains a small joint vocabulary (300 pieces) on the toy corpus into `path`.
inline void train_toy_vocab(const std::string& path) {
  VocabConfig vc;
  vc.size = 300;
  data::train_vocab({toy("train.en"), toy("train.fr")}, vc, path, 1);
}

/// RNNsearch sizes small enough for unit tests.
inline RnnsearchConfig tiny_rnnsearch(int64_t decoder_hidden = 10) {
  RnnsearchConfig c;
  c.embed_dim = 8;
  c.encoder_hidden = 6;
  c.decoder_hidden = decoder_hidden;
  c.attention_dim = 7;
  c.maxout_dim = 5;
  return c;
}

/// A tiny Transformer: 2+2 layers, d_model 16, 4 heads, no dropout.
inline TransformerConfig tiny_transformer(bool pre_norm = false, bool tie = false) {
  TransformerConfig c;
  c.encoder_layers = 2;
  c.decoder_layers = 2;
  c.d_model = 16;
  c.heads = 4;
  c.ff_dim = 24;
  c.pre_norm = pre_norm;
  c.attention_dropout = 0.0;
  c.tie_embeddings = tie;
  return c;
}

struct RunResult {
  int code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

/// Runs the nmt binary with `args` (a shell-quoted string) and optional stdin text.
inline RunResult run_nmt(const std::string& args, const std::string& stdin_text = "") {
  TempDir dir;
  const std::string in = dir / "stdin", out = dir / "stdout", err = dir / "stderr";
  write_file(in, stdin_text);
  const std::string cmd = std::string("'") + NMT_BINARY + "' " + args + " <'" + in + "' >'" + out + "' 2>'" + err + "'";
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

/// Number of lines in `s`.
// A TCP port on 127.0.0.1 that nobody listens on now.
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline int count_lines(const std::string& s) {
  int n = 0;
  for (const char c : s) n += c == '\n';
  return n;
}

/// Expects a failed run: exit `code`, nothing on stdout, and exactly one line on
/// stderr, starting "nmt: error: " and containing `needle`.
inline void expect_error(const RunResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.code, code) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_EQ(r.err.rfind("nmt: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

}  // namespace nmt::test
