#include "harness.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "nmt/common/fs.h"
#include <nlohmann/json.hpp>

#include "../test_util.h"
#include "nmt/common/utf8.h"

namespace nmt::robustness {
namespace fs = std::filesystem;

namespace {

// The tiny RNNsearch of the suite: 300 toy pairs, trained in about two seconds.
nlohmann::json base_config(const std::string& model_dir) {
  const auto pair = [](const char* split) {
    return nlohmann::json{{"src", test::toy(split + std::string(".en"))}, {"tgt", test::toy(split + std::string(".fr"))}};
  };
  return {{"data", {{"train", pair("valid")}, {"valid", pair("test")}, {"max_len", 40}}},
          {"vocab", {{"size", 150}}},
          {"model",
           {{"rnnsearch",
             {{"embed_dim", 16}, {"encoder_hidden", 16}, {"decoder_hidden", 24}, {"attention_dim", 16},
              {"maxout_dim", 16}}}}},
          {"training", {{"lr", 0.01}, {"batch_tokens", 300}, {"log_every", 5}, {"valid_every", 10}, {"max_steps", 20}}},
          {"model_dir", model_dir}};
}

struct Row {
  std::string fed, command, did, lost;
};

// Trains $M once for the whole suite and writes the report at the end.
class Suite : public ::testing::Environment {
 public:
  void SetUp() override {
    root_ = std::make_unique<test::TempDir>();
    model_ = *root_ / "model";
    const auto r = test::run_nmt("-q train --threads 2 -c " + write_config(root_->str(), model_));
    if (r.code != 0) throw std::runtime_error("robustness: cannot train the suite's model: " + r.err);
  }

  void TearDown() override {
    const char* path = std::getenv("NMT_RELIABILITY_REPORT");
    if (path == nullptr || rows_.empty()) return;
    std::ofstream out(path);
    for (const auto& kind : kinds_) {
      out << "## " << kind << "\n\n| bad input or fault | command | what nmt did | lost |\n| --- | --- | --- | --- |\n";
      for (const auto& r : rows_.at(kind)) {
        out << "| " << cell(r.fed) << " | " << code(r.command) << " | " << r.did << " | " << cell(r.lost) << " |\n";
      }
      out << "\n";
    }
  }

  void add(const std::string& kind, Row row) {
    if (rows_.count(kind) == 0) kinds_.push_back(kind);
    rows_[kind].push_back(std::move(row));
  }

  const std::string& model() const { return model_; }
  static Suite* instance;

  // Text that survives a Markdown table: pipes escaped.
  static std::string cell(const std::string& s) {
    std::string e;
    for (const char c : s) e += c == '|' ? std::string("\\|") : std::string(1, c);
    return e;
  }
  // Inline code in a table cell; doubled backticks where the text has one.
  static std::string code(const std::string& s) {
    const std::string fence = s.find('`') == std::string::npos ? "`" : "``";
    const std::string pad = fence.size() == 1 ? "" : " ";
    return fence + pad + cell(s) + pad + fence;
  }

 private:
  std::unique_ptr<test::TempDir> root_;
  std::string model_;
  std::vector<std::string> kinds_;
  std::map<std::string, std::vector<Row>> rows_;
};
Suite* Suite::instance = nullptr;

// The suite's variables in `s` replaced by the paths of this run.
std::string expand(std::string s, const std::string& dir) {
  const std::vector<std::pair<std::string, std::string>> names = {{"$D", dir}, {"$M", Suite::instance->model()}};
  for (const auto& [from, to] : names) {
    for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
      s.replace(at, from.size(), to);
  }
  return s;
}

// Paths of this run replaced by the suite's variables, so the report reads the
// same on every machine.
std::string portable(std::string s, const std::string& dir) {
  const std::vector<std::pair<std::string, std::string>> names = {
      {dir, "$D"}, {Suite::instance->model(), "$M"}, {NMT_BINARY, "nmt"}, {test::toy(""), "$TOY/"}};
  for (const auto& [from, to] : names) {
    for (auto at = s.find(from); !from.empty() && at != std::string::npos; at = s.find(from, at + to.size())) {
      s.replace(at, from.size(), to);
    }
  }
  return s;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

bool printable(const std::string& line) {
  if (utf8::find_invalid(line) != utf8::kValid) return false;
  for (const unsigned char c : line) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

const std::string& model_dir() { return Suite::instance->model(); }

std::string write_config(const std::string& dir, const std::string& model_dir, const std::string& training) {
  auto j = base_config(model_dir);
  j["training"].update(nlohmann::json::parse(training));
  test::write_file(dir + "/c.json", j.dump(2));
  return dir + "/c.json";
}

Snapshot snapshot(const std::string& root) {
  Snapshot s;
  if (!fs::exists(root)) return s;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) s[fs::relative(e.path(), root).string()] = test::slurp(e.path().string());
  }
  return s;
}

std::vector<std::string> damage(const Snapshot& before, const Snapshot& after) {
  std::vector<std::string> out;
  for (const auto& [path, content] : before) {
    const std::string name = fs::path(path).filename().string();
    const auto it = after.find(path);
    if (it == after.end()) {
      out.push_back(path + " removed");
    } else if (name == ".lock" || name == "config.json") {
      // The lock holds the PID of its last holder; config.json, the settings of the latest run.
    } else if (name == "train.log" || name == "metrics.jsonl") {
      if (it->second.compare(0, content.size(), content) != 0) out.push_back(path + " rewritten");  // logs only grow
    } else if (it->second != content) {
      out.push_back(path + " changed");
    }
  }
  for (const auto& [path, content] : after) {
    if (is_temporary_name(fs::path(path).filename().string())) out.push_back(path + " left behind");
  }
  return out;
}

Outcome run_bash(const std::string& script, const std::string& dir) {
  test::TempDir io;
  const std::string out = io / "stdout", err = io / "stderr";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::chdir(dir.c_str());
    const int null = ::open("/dev/null", O_RDONLY);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(null, 0);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::setenv("NMT", NMT_BINARY, 1);
    ::setenv("D", dir.c_str(), 1);
    ::setenv("M", model_dir().c_str(), 1);
    ::setenv("CFG", (dir + "/c.json").c_str(), 1);
    ::setenv("TOY", test::toy("").c_str(), 1);
    ::setenv("HERE", NMT_ROBUSTNESS_DIR, 1);
    ::setenv("FAULT", NMT_FAULT_LIBRARY, 1);
    ::execl("/bin/bash", "bash", "-c", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  Outcome r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = test::slurp(out);
  r.err = test::slurp(err);
  r.peak_rss_mb = usage.ru_maxrss / 1024;
  return r;
}

void record(const std::string& kind, const std::string& fed, const std::string& command, const std::string& did,
            const std::string& lost) {
  Suite::instance->add(kind, Row{fed, command, did, lost});
}

void run_case(const Case& c) {
  SCOPED_TRACE(c.fed + ": " + c.command);
  test::TempDir d;
  write_config(d.str(), d / "m");
  if (!c.setup.empty()) {
    const auto s = run_bash("set -e; " + c.setup, d.str());
    ASSERT_EQ(s.code, 0) << "setup failed: " << s.err;
  }
  const Snapshot before = snapshot(d.str()), model_before = snapshot(model_dir());
  const Outcome r = run_bash(c.command, d.str());

  EXPECT_EQ(r.code, c.code) << r.err;
  const auto err = lines_of(r.err);
  const std::string message = expand(c.message, d.str());
  std::string did = "exit " + std::to_string(r.code);
  if (c.code != 0) {
    if (!c.stdout_expected) {  // else output the refusal came after
      EXPECT_EQ(r.out, "");
    }
    ASSERT_EQ(err.size(), 1u) << r.err;
    EXPECT_EQ(err[0].rfind("nmt: error: ", 0), 0u) << r.err;
    EXPECT_NE(err[0].find(message), std::string::npos) << r.err;
    EXPECT_TRUE(printable(err[0])) << "raw bytes in: " << err[0];
    did += ": " + Suite::code(portable(err[0], d.str()));
  } else {
    if (!c.stdout_expected) {
      EXPECT_EQ(r.out, "");
    }
    for (const auto& line : err) EXPECT_TRUE(printable(line)) << "raw bytes in: " << line;
    if (!c.message.empty()) {
      std::string hit;
      for (const auto& line : err) {
        if (line.find(message) != std::string::npos) hit = line;
      }
      ASSERT_NE(hit, "") << "no line with '" << message << "' in:\n" << r.err;
      did += ", and " + Suite::code(portable(hit.substr(hit.find(message)), d.str()));
    }
  }
  if (c.show_memory) did += " (peak RSS " + std::to_string(r.peak_rss_mb) + " MB)";
  if (c.check) c.check(r, d.str());
  const auto lost = damage(before, snapshot(d.str())), lost_model = damage(model_before, snapshot(model_dir()));
  EXPECT_TRUE(lost.empty()) << testing::PrintToString(lost);
  EXPECT_TRUE(lost_model.empty()) << testing::PrintToString(lost_model);
  std::string lost_text = lost.empty() && lost_model.empty() ? "nothing" : testing::PrintToString(lost);
  if (!c.note.empty()) lost_text += "; " + c.note;
  if (c.recorded) record(c.kind, c.fed, portable(c.command, d.str()), did, lost_text);
}

}  // namespace nmt::robustness

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  nmt::robustness::Suite::instance = new nmt::robustness::Suite;
  ::testing::AddGlobalTestEnvironment(nmt::robustness::Suite::instance);  // gtest owns it
  return RUN_ALL_TESTS();
}
