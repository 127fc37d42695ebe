// LineReader: the one reader of text lines, for files and for stdin.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include "nmt/common/error.h"
#include "nmt/data/lines.h"
#include "test_util.h"

namespace nmt::data {
namespace {

TEST(Lines, CarriageReturnsGoAndALastLineNeedsNoNewline) {
  test::TempDir d;
  test::write_file(d / "a", "one\r\n\r\ntwo\rx\nthree");
  EXPECT_EQ(read_lines(d / "a"), (std::vector<std::string>{"one", "", "two\rx", "three"}));
  test::write_file(d / "empty", "");
  EXPECT_TRUE(read_lines(d / "empty").empty());
}

TEST(Lines, ALongLineIsReadWhole) {
  test::TempDir d;
  const std::string long_line(300000, 'x');  // several read chunks
  test::write_file(d / "a", "a\n" + long_line + "\nb\n");
  EXPECT_EQ(read_lines(d / "a"), (std::vector<std::string>{"a", long_line, "b"}));
}

TEST(Lines, ALineOverTheLimitIsCutAtACharacterAndTheRestSkipped) {
  test::TempDir d;
  const std::string long_line = "ab" + std::string(200000, 'x');
  test::write_file(d / "a", "short\n" + long_line + "\n\xC3\xA9\xC3\xA9\xC3\xA9\nend");
  LineReader r(d / "a", 5);
  std::string line;
  ASSERT_TRUE(r.next(line));
  EXPECT_EQ(line, "short");
  EXPECT_FALSE(r.cut());
  ASSERT_TRUE(r.next(line));
  EXPECT_EQ(line, "abxxx");
  EXPECT_TRUE(r.cut());
  ASSERT_TRUE(r.next(line));
  EXPECT_EQ(line, "\xC3\xA9\xC3\xA9");  // 5 bytes would split the third character
  EXPECT_TRUE(r.cut());
  ASSERT_TRUE(r.next(line));
  EXPECT_EQ(line, "end");
  EXPECT_EQ(r.line_number(), 4);
  EXPECT_FALSE(r.next(line));
}

// Runs `body` with standard input redirected from a pipe whose write end it gets.
template <class F>
void with_stdin_pipe(F body) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const int saved = ::dup(STDIN_FILENO);
  ::dup2(fds[0], STDIN_FILENO);
  ::close(fds[0]);
  body(fds[1]);
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
}

void write_all(int fd, const std::string& s) { ASSERT_EQ(::write(fd, s.data(), s.size()), static_cast<ssize_t>(s.size())); }

TEST(Lines, ChunksTakeWhatIsReadyWithoutWaiting) {
  with_stdin_pipe([](int writer) {
    LineReader in("-", 4);
    std::vector<std::string> chunk;
    std::vector<bool> cut;
    write_all(writer, "a\nb\nc");  // "c" is not a whole line yet
    ASSERT_TRUE(next_chunk(in, chunk, cut, 100));
    EXPECT_EQ(chunk, (std::vector<std::string>{"a", "b"}));
    write_all(writer, "\nd\ne\nfffffff\n");
    ASSERT_TRUE(next_chunk(in, chunk, cut, 2));  // at most 2
    EXPECT_EQ(chunk, (std::vector<std::string>{"c", "d"}));
    ::close(writer);
    ASSERT_TRUE(next_chunk(in, chunk, cut, 100));
    EXPECT_EQ(chunk, (std::vector<std::string>{"e", "ffff"}));
    EXPECT_EQ(cut, (std::vector<bool>{false, true}));
    EXPECT_FALSE(next_chunk(in, chunk, cut, 100));
  });
}

TEST(Lines, InvalidUtf8NamesTheFileOrStdinAndTheLine) {
  test::TempDir d;
  test::write_file(d / "a", "ok\n\xC3\x28\n");
  try {
    read_lines(d / "a");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), (d / "a") + ":2: invalid UTF-8 at byte 1");
  }
  with_stdin_pipe([](int writer) {
    write_all(writer, "ok\n\xC3\x28\n");
    ::close(writer);
    try {
      read_lines("-");
      FAIL();
    } catch (const DataError& e) {
      EXPECT_EQ(std::string(e.what()), "<stdin>: line 2: invalid UTF-8 at byte 1");
    }
  });
}

// Blanks count once, as SentencePiece's normalisation has them: a sentence
// after a megabyte of spaces is still read.
TEST(Lines, SqueezedBlanksDoNotReachTheLimit) {
  test::TempDir d;
  test::write_file(d / "a", std::string(3 << 20, ' ') + "le\t\t chat  " + std::string(3 << 20, '\t') + "dort\n  x\n");
  LineReader r(d / "a", 100, /*squeeze_spaces=*/true);
  std::string line;
  ASSERT_TRUE(r.next(line));
  EXPECT_EQ(line, "le chat dort");
  EXPECT_FALSE(r.cut());
  ASSERT_TRUE(r.next(line));
  EXPECT_EQ(line, "x");
  EXPECT_FALSE(r.next(line));
}

TEST(Lines, ReadingEveryLineIsBoundedInLineLengthAndCount) {
  test::TempDir d;
  test::write_file(d / "a", "one\n" + std::string(2 << 20, 'x') + "\nthree\n");
  EXPECT_EQ(test::error_of([&] { read_lines(d / "a"); }),
            (d / "a") + ":2: a line longer than " + std::to_string(kMaxLineBytes) + " bytes");
  test::write_file(d / "b", "one\ntwo\nthree\n");
  ReadLimits two;
  two.max_lines = 2;
  two.why = ", as many as the reference has";
  EXPECT_EQ(test::error_of([&] { read_lines(d / "b", two); }),
            "'" + (d / "b") + "' has more than 2 lines, as many as the reference has");
  // No newline ever: refused as soon as the limit is passed.
  EXPECT_EQ(test::error_of([] { read_lines("/dev/zero"); }),
            "/dev/zero:1: a line longer than " + std::to_string(kMaxLineBytes) + " bytes");
}

}  // namespace
}  // namespace nmt::data
