// File helpers: atomic writes and what a killed writer leaves behind.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "test_util.h"

namespace nmt {
namespace {

// A PID no process has: above the kernel's pid_max.
constexpr const char* kDeadPid = "4194305";

TEST(Fs, StaleTemporariesGoAndNothingElse) {
  test::TempDir d;
  std::filesystem::create_directories(d / "checkpoints");
  std::filesystem::create_directories(d / "notes");
  const std::string dead = kDeadPid, alive = std::to_string(::getpid());
  for (const std::string& name : std::vector<std::string>{"checkpoints/last.pt.nmt-partial." + dead, "checkpoints/step-8.pt",
                                 "train.bin.index.nmt-partial." + dead, "config.json.nmt-partial." + alive,
                                 "notes.tmp.123", "x.nmt-partial.", "x.nmt-partial.12a", "notes/a.nmt-partial." + dead,
                                 "config.json"}) {
    test::write_file(d / name, "x");
  }
  std::filesystem::create_symlink(d / "config.json", d / ("link.nmt-partial." + dead));
  // Only the two of dead processes, directly in the directories named.
  EXPECT_EQ(remove_stale_temporaries({d.str(), d / "checkpoints", d / "none"}), 2);
  std::set<std::string> left;
  for (const auto& e : std::filesystem::recursive_directory_iterator(d.str())) {
    if (!e.is_directory()) left.insert(e.path().lexically_relative(d.str()).string());
  }
  EXPECT_EQ(left, (std::set<std::string>{"checkpoints/step-8.pt", "config.json.nmt-partial." + alive, "notes.tmp.123",
                                         "x.nmt-partial.", "x.nmt-partial.12a", "notes/a.nmt-partial." + dead,
                                         "config.json", "link.nmt-partial." + dead}));
}

TEST(Fs, TemporaryNamesAreOnlyThoseNmtMakes) {
  EXPECT_TRUE(is_temporary_name("best.pt.nmt-partial.17"));
  EXPECT_TRUE(is_temporary_name(std::filesystem::path(temporary_path("a/b.pt")).filename().string()));
  for (const char* name : {"b.pt", "b.pt.tmp.17", ".nmt-partial.17", "b.nmt-partial.", "b.nmt-partial.1x",
                           "b.nmt-partial.12345678901"}) {
    EXPECT_FALSE(is_temporary_name(name)) << name;
  }
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
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(d.str()), std::filesystem::directory_iterator()), 1);
}

TEST(Fs, AnAtomicWriteReplacesOnlyARegularFile) {
  test::TempDir d;
  // A symbolic link is followed: the file it names gets the text, the link stays.
  test::write_file(d / "target", "old");
  std::filesystem::create_symlink(d / "target", d / "link");
  write_file_atomic(d / "link", "new");
  EXPECT_TRUE(std::filesystem::is_symlink(d / "link"));
  EXPECT_EQ(test::slurp(d / "target"), "new");
  // A device is written to, never replaced (as root, a rename would replace the node).
  write_file_atomic("/dev/null", "text");
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
  // A FIFO too: its reader gets the text.
  ASSERT_EQ(::mkfifo((d / "fifo").c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = test::slurp(d / "fifo"); });
  write_file_atomic(d / "fifo", "through");
  reader.join();
  EXPECT_EQ(got, "through");
  EXPECT_TRUE(std::filesystem::is_fifo(d / "fifo"));
  // A directory, or a link to nothing, is refused.
  std::filesystem::create_directories(d / "dir");
  EXPECT_EQ(test::error_of([&] { write_file_atomic(d / "dir", "x"); }),
            "cannot write '" + (d / "dir") + "': it is a directory");
  std::filesystem::create_symlink(d / "nothing", d / "dangling");
  EXPECT_EQ(test::error_of([&] { write_file_atomic(d / "dangling", "x"); }),
            "cannot write '" + (d / "dangling") + "': it is a symbolic link to a file that does not exist");
  EXPECT_FALSE(std::filesystem::exists(d / "nothing"));
}

TEST(Fs, AnOutputIsNeverAnInputAndADescriptorPathKeepsItsOffset) {
  test::TempDir d;
  test::write_file(d / "in", "x");
  std::filesystem::create_symlink(d / "in", d / "link");
  EXPECT_EQ(test::error_of([&] { require_output_is_not_an_input(d / "link", {d / "other", d / "in"}, "-o"); }),
            "-o '" + (d / "link") + "' is the file '" + (d / "in") +
                "', which this command reads or its run keeps: write the output elsewhere");
  EXPECT_NO_THROW(require_output_is_not_an_input(d / "new", {d / "in"}, "-o"));
  // /dev/fd/N is written through descriptor N, after what it already holds.
  PosixFile out(d / "out", O_WRONLY | O_CREAT | O_TRUNC);
  out.write("first ", 6);
  write_file_atomic("/dev/fd/" + std::to_string(out.fd()), "second");
  out.write(" third", 6);
  EXPECT_EQ(test::slurp(d / "out"), "first second third");
}

TEST(Fs, ATemporaryFileGoesUnlessCommittedAndASignalHandlerCanRemoveIt) {
  test::TempDir d;
  {
    TemporaryFile tmp(d / "a", O_WRONLY);
    tmp.file().write("x", 1);
  }  // not committed
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(d.str()), std::filesystem::directory_iterator()), 0);
  TemporaryFile tmp(d / "b", O_WRONLY);
  EXPECT_TRUE(std::filesystem::exists(temporary_path(d / "b")));
  remove_temporaries_in_flight();
  EXPECT_FALSE(std::filesystem::exists(temporary_path(d / "b")));
  TemporaryFile done(d / "c", O_WRONLY);
  done.file().write("c", 1);
  done.commit();
  EXPECT_EQ(test::slurp(d / "c"), "c");
}

TEST(Fs, AWholeFileReadStopsAtItsLimit) {
  test::TempDir d;
  test::write_file(d / "f", std::string(100, 'x'));
  EXPECT_EQ(read_file(d / "f", 100, "thing").size(), 100u);
  EXPECT_EQ(test::error_of([&] { read_file(d / "f", 99, "thing"); }),
            "file '" + (d / "f") + "' is larger than 0 MiB, more than a thing can be");
  EXPECT_EQ(test::error_of([] { read_file("/dev/zero", 1 << 20, "config"); }),
            "file '/dev/zero' is larger than 1 MiB, more than a config can be");
}

}  // namespace
}  // namespace nmt
