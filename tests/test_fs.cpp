// File helpers: atomic writes and what a killed writer leaves behind.
#include <gtest/gtest.h>

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "test_util.h"

namespace nmt {
namespace {

TEST(Fs, StaleTemporariesGoAndNothingElse) {
  test::TempDir d;
  std::filesystem::create_directories(d / "checkpoints");
  for (const char* name : {"checkpoints/last.pt.tmp.4242", "checkpoints/step-8.pt", "train.bin.tmp.17.index",
                           "notes.tmp.txt", "x.tmp.", "config.json"}) {
    test::write_file(d / name, "x");
  }
  EXPECT_EQ(remove_stale_temporaries(d.str()), 2);
  std::set<std::string> left;
  for (const auto& e : std::filesystem::recursive_directory_iterator(d.str())) {
    if (e.is_regular_file()) left.insert(std::filesystem::relative(e.path(), d.str()).string());
  }
  EXPECT_EQ(left, (std::set<std::string>{"checkpoints/step-8.pt", "notes.tmp.txt", "x.tmp.", "config.json"}));
}

// Started with stdout closed, descriptor 1 can be a library's eventfd (CUDA
// LibTorch opens one as it loads): a write must not go there, even 8 bytes.
TEST(Fs, StdoutThatALibraryTookIsNotWrittenTo) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // a fresh process: write_stdout checks fd 1 once
  EXPECT_EXIT(
      {
        ::close(STDOUT_FILENO);
        if (::eventfd(0, 0) != STDOUT_FILENO) std::_Exit(4);
        try {
          write_stdout("bonjour\n");
        } catch (const SystemError& e) {
          std::fprintf(stderr, "%s\n", e.what());
          std::_Exit(3);
        }
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(3),
      "cannot write to standard output: Bad file descriptor \\(it was closed when nmt started; descriptor 1 is now a "
      "library's anon_inode:\\[eventfd\\]\\)");
}

TEST(Fs, AnAtomicWriteLeavesOnlyItsFile) {
  test::TempDir d;
  write_file_atomic(d / "f", "one");
  write_file_atomic(d / "f", "two");
  EXPECT_EQ(test::slurp(d / "f"), "two");
  EXPECT_EQ(remove_stale_temporaries(d.str()), 0);
  EXPECT_EQ(temporary_path("a/b.pt").rfind("a/b.pt.tmp.", 0), 0u);
}

}  // namespace
}  // namespace nmt
