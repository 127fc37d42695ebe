#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "nmt/common/error.h"
#include "nmt/common/utf8.h"
#include "nmt/data/batcher.h"
#include "nmt/data/corpus.h"
#include "nmt/data/lines.h"
#include "test_util.h"

namespace nmt::data {
namespace {

using test::error_of;

TEST(Utf8, FindsInvalidSequences) {
  EXPECT_EQ(utf8::find_invalid("plain ascii"), utf8::kValid);
  EXPECT_EQ(utf8::find_invalid("caf\xC3\xA9 \xE2\x80\xAF \xF0\x9F\x98\x80"), utf8::kValid);
  EXPECT_EQ(utf8::find_invalid("ab\xC3"), 2u);              // truncated
  EXPECT_EQ(utf8::find_invalid("\xC0\xAF"), 0u);            // overlong
  EXPECT_EQ(utf8::find_invalid("x\xED\xA0\x80"), 1u);       // surrogate
  EXPECT_EQ(utf8::find_invalid("\xF4\x90\x80\x80"), 0u);    // above U+10FFFF
  EXPECT_EQ(utf8::find_invalid("a\x80"), 1u);               // stray continuation
}

// What a message may show of a path or a line: nothing a terminal obeys.
TEST(Utf8, PrintableEscapesControlsAndInvalidBytesAndKeepsText) {
  EXPECT_EQ(utf8::printable("caf\xC3\xA9 ok"), "caf\xC3\xA9 ok");
  EXPECT_EQ(utf8::printable("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(utf8::printable("\x1b[31mred\x7f"), "\\x1b[31mred\\x7f");
  EXPECT_EQ(utf8::printable("\xff\xC3"), "\\xff\\xc3");
  EXPECT_EQ(utf8::printable("\xC2\x9B" "2J"), "\\xc2\\x9b2J");  // U+009B, a C1 CSI
  EXPECT_EQ(utf8::find_invalid(utf8::printable(std::string("\xF0\x9F\x98\x80\xED\xA0\x80", 7))), utf8::kValid);
}

TEST(Corpus, MismatchedLineCountsNameBothFilesAndCounts) {
  test::TempDir d;
  test::write_file(d / "a.en", "one\ntwo\nthree\n");
  test::write_file(d / "a.fr", "un\ndeux\n");
  const std::string e = error_of([&] {
    ParallelReader r(d / "a.en", d / "a.fr");
    std::string s, t;
    while (r.next(s, t)) {
    }
  });
  EXPECT_EQ(e, "corpus files have different line counts: '" + (d / "a.en") + "' has 3 lines, '" + (d / "a.fr") +
                   "' has 2 (the shorter is '" + (d / "a.fr") + "')");
}

TEST(Corpus, InvalidUtf8NamesFileAndLine) {
  test::TempDir d;
  test::write_file(d / "a.en", "one\ntwo\n");
  test::write_file(d / "a.fr", "un\nd\xFFux\n");
  const std::string e = error_of([&] {
    ParallelReader r(d / "a.en", d / "a.fr");
    std::string s, t;
    while (r.next(s, t)) {
    }
  });
  EXPECT_EQ(e, (d / "a.fr") + ":2: invalid UTF-8 at byte 2");
}

TEST(Corpus, CrlfLineEndingsAreStripped) {
  test::TempDir d;
  test::write_file(d / "a.txt", "one\r\ntwo");
  LineReader r(d / "a.txt");
  std::string line;
  ASSERT_TRUE(r.next(line));
  EXPECT_EQ(line, "one");
  ASSERT_TRUE(r.next(line));
  EXPECT_EQ(line, "two");
  EXPECT_FALSE(r.next(line));
}

TEST(Corpus, MissingFileAndDirectoryAreNamed) {
  test::TempDir d;
  EXPECT_EQ(error_of([&] { LineReader r(d / "nope.en"); }), "file '" + (d / "nope.en") + "' does not exist");
  EXPECT_EQ(error_of([&] { LineReader r(d.str()); }), "file '" + d.str() + "' is a directory, not a file");
}

// A corpus-level fixture: a small vocabulary trained once on the toy corpus.
class EncodedCorpusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    test::train_toy_vocab(*dir_ / "spm.model");
    vocabs_ = new Vocabs(load_vocabs(dir_->str(), true));
  }
  static void TearDownTestSuite() {
    delete vocabs_;
    delete dir_;
  }
  static test::TempDir* dir_;
  static Vocabs* vocabs_;
};
test::TempDir* EncodedCorpusTest::dir_ = nullptr;
Vocabs* EncodedCorpusTest::vocabs_ = nullptr;

TEST_F(EncodedCorpusTest, EncodesFiltersAndCaches) {
  test::TempDir d;
  test::write_file(d / "a.en", "the cat\n\nthe dog sleeps\na b c d e f g h i j k l m n o p\nhello\n");
  test::write_file(d / "a.fr", "le chat\nvide\nle chien dort\ncourt\n\n");
  const FilePair files{d / "a.en", d / "a.fr"};
  const EncodedCorpus c = EncodedCorpus::open(files, *vocabs_, 12, d / "cache/a.bin");
  EXPECT_EQ(c.stats().lines, 5);
  EXPECT_EQ(c.stats().empty, 2);
  EXPECT_EQ(c.stats().too_long, 1);
  ASSERT_EQ(c.size(), 2);
  std::vector<int32_t> ids;
  c.tgt(1, ids);
  EXPECT_EQ(vocabs_->tgt.decode(ids), "le chien dort");
  EXPECT_EQ(c.tgt_len(1), static_cast<int32_t>(ids.size()));
  ids.clear();
  c.src(0, ids);
  EXPECT_EQ(vocabs_->src.decode(ids), "the cat");

  // A second open maps the cache instead of rebuilding it.
  const auto mtime = std::filesystem::last_write_time(d / "cache/a.bin");
  const EncodedCorpus again = EncodedCorpus::open(files, *vocabs_, 12, d / "cache/a.bin");
  EXPECT_EQ(std::filesystem::last_write_time(d / "cache/a.bin"), mtime);
  EXPECT_EQ(again.size(), 2);
  EXPECT_EQ(again.stats().empty, 2);

  // A different max_len is a different cache.
  const EncodedCorpus wider = EncodedCorpus::open(files, *vocabs_, 100, d / "cache/a.bin");
  EXPECT_EQ(wider.size(), 3);
}

TEST_F(EncodedCorpusTest, CorruptCacheIsRebuilt) {
  test::TempDir d;
  test::write_file(d / "a.en", "the cat\nthe dog\n");
  test::write_file(d / "a.fr", "le chat\nle chien\n");
  const FilePair files{d / "a.en", d / "a.fr"};
  EncodedCorpus::open(files, *vocabs_, 50, d / "c.bin");
  std::string bytes = test::slurp(d / "c.bin");
  test::write_file(d / "c.bin", bytes.substr(0, bytes.size() / 2));  // truncated
  const EncodedCorpus c = EncodedCorpus::open(files, *vocabs_, 50, d / "c.bin");
  EXPECT_EQ(c.size(), 2);
}

// The footer intact, a damaged record or index entry: a reader gets no cache
// (and so never reads past it), and a writer rebuilds it.
TEST_F(EncodedCorpusTest, ACacheDamagedBeforeItsFooterIsNotUsed) {
  test::TempDir d;
  test::write_file(d / "a.en", "the cat\nthe dog\n");
  test::write_file(d / "a.fr", "le chat\nle chien\n");
  const FilePair files{d / "a.en", d / "a.fr"};
  EncodedCorpus::open(files, *vocabs_, 50, d / "c.bin");
  const std::string whole = test::slurp(d / "c.bin");
  ASSERT_TRUE(EncodedCorpus::open_existing(files, *vocabs_, 50, d / "c.bin"));
  constexpr std::size_t kFooter = 96;
  for (std::size_t at = 0; at + kFooter < whole.size(); ++at) {
    std::string bytes = whole;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x40);
    test::write_file(d / "c.bin", bytes);
    EXPECT_FALSE(EncodedCorpus::open_existing(files, *vocabs_, 50, d / "c.bin")) << "byte " << at;
  }
  const EncodedCorpus c = EncodedCorpus::open(files, *vocabs_, 50, d / "c.bin");
  std::vector<int32_t> ids;
  c.tgt(1, ids);
  EXPECT_EQ(vocabs_->tgt.decode(ids), "le chien");
  EXPECT_EQ(test::slurp(d / "c.bin"), whole);
}

TEST_F(EncodedCorpusTest, EmptyCorpusIsAnError) {
  test::TempDir d;
  test::write_file(d / "a.en", "");
  test::write_file(d / "a.fr", "");
  const std::string e = error_of([&] { EncodedCorpus::open({d / "a.en", d / "a.fr"}, *vocabs_, 50, d / "c.bin"); });
  EXPECT_EQ(e, "corpus files '" + (d / "a.en") + "' and '" + (d / "a.fr") + "' are empty");
  EXPECT_FALSE(std::filesystem::exists(d / "c.bin"));
}

// ---- Batching ----

class BatcherTest : public EncodedCorpusTest {
 protected:
  EncodedCorpus corpus() const {
    return EncodedCorpus::open({test::toy("train.en"), test::toy("train.fr")}, *vocabs_, 100, *dir_ / "train.bin");
  }
};

TEST_F(BatcherTest, EpochCoversEveryPairOnceWithinTheBudget) {
  const EncodedCorpus c = corpus();
  for (const int64_t pool : {int64_t{1} << 20, int64_t{4096}}) {  // one pool, and several
    Batcher b(c, {700, 7, true, pool});
    std::vector<int> seen(static_cast<std::size_t>(c.size()), 0);
    const auto plan = b.epoch_plan(1);
    // Exact for one pool; within a few percent for several.
    EXPECT_NEAR(static_cast<double>(b.batches_per_epoch(1)), static_cast<double>(plan.size()),
                pool > c.size() ? 0.0 : 0.05 * static_cast<double>(plan.size()));
    for (const auto& batch : plan) {
      ASSERT_FALSE(batch.empty());
      int32_t longest = 0;
      for (const int64_t i : batch) {
        ++seen[static_cast<std::size_t>(i)];
        longest = std::max(longest, c.tgt_len(i) + 1);
      }
      EXPECT_LE(static_cast<int64_t>(batch.size()) * longest, 700);
    }
    for (std::size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], 1) << "pair " << i << " pool " << pool;
  }
}

TEST_F(BatcherTest, OrderDependsOnlyOnSeedAndEpoch) {
  const EncodedCorpus c = corpus();
  Batcher a(c, {800, 3, true, 1 << 20}), b(c, {800, 3, true, 1 << 20}), other(c, {800, 4, true, 1 << 20});
  EXPECT_EQ(a.epoch_plan(1), b.epoch_plan(1));
  EXPECT_NE(a.epoch_plan(1), a.epoch_plan(2));
  EXPECT_NE(a.epoch_plan(1), other.epoch_plan(1));
}

TEST_F(BatcherTest, BatchesAreLengthBucketed) {
  const EncodedCorpus c = corpus();
  Batcher b(c, {800, 1, true, 1 << 20});
  int64_t padded = 0, real = 0;
  for (const auto& batch : b.epoch_plan(1)) {
    int32_t longest = 0;
    for (const int64_t i : batch) {
      longest = std::max(longest, c.tgt_len(i) + 1);
      real += c.tgt_len(i) + 1;
    }
    padded += longest * static_cast<int64_t>(batch.size());
  }
  EXPECT_GT(static_cast<double>(real) / padded, 0.95);  // sorting leaves little padding
}

TEST_F(BatcherTest, SeekResumesTheSameStream) {
  const EncodedCorpus c = corpus();
  Batcher full(c, {600, 5, true, 4096});
  const auto plan1 = full.epoch_plan(1);
  std::vector<std::vector<int64_t>> stream;
  for (std::size_t k = 0; k < plan1.size() + 10; ++k) stream.push_back(full.next_indices());
  EXPECT_EQ(full.position().epoch, 2);
  EXPECT_EQ(full.position().batch, 10);
  EXPECT_EQ(std::vector<std::vector<int64_t>>(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(plan1.size())),
            plan1);

  Batcher resumed(c, {600, 5, true, 4096});
  resumed.seek({1, 7});
  for (std::size_t k = 7; k < stream.size(); ++k) ASSERT_EQ(resumed.next_indices(), stream[k]) << k;
}

TEST_F(BatcherTest, SeekPastTheEndOfAnEpochGoesOnFromTheNextOne) {
  // A position recorded with smaller batches (training.batch_tokens raised since) can lie past the epoch's end.
  const EncodedCorpus c = corpus();
  Batcher b(c, {600, 5, true, 4096});
  const std::size_t batches = b.epoch_plan(1).size();
  for (const int64_t past : {static_cast<int64_t>(batches) + 1, int64_t{INT64_MAX}}) {
    b.seek({1, past});
    EXPECT_EQ(b.position().epoch, 2);
    EXPECT_EQ(b.position().batch, 0);
    EXPECT_EQ(b.next_indices(), b.epoch_plan(2).front());
  }
}

TEST_F(BatcherTest, CollatePadsAndMasks) {
  const EncodedCorpus c = corpus();
  const Batch b = collate(c, {0, 1, 2});
  ASSERT_EQ(b.src.size(0), 3);
  for (int64_t r = 0; r < 3; ++r) {
    const int64_t sl = c.src_len(r), tl = c.tgt_len(r);
    EXPECT_EQ(b.src[r][sl].item<int64_t>(), kEos);
    EXPECT_EQ(b.src_mask[r].sum().item<int64_t>(), sl + 1);
    EXPECT_EQ(b.tgt_in[r][0].item<int64_t>(), kBos);
    EXPECT_EQ(b.tgt_out[r][tl].item<int64_t>(), kEos);
    EXPECT_EQ(b.tgt_mask[r].sum().item<int64_t>(), tl + 1);
    // tgt_in is tgt_out shifted right by one.
    EXPECT_TRUE(b.tgt_in[r].slice(0, 1, tl + 1).equal(b.tgt_out[r].slice(0, 0, tl)));
    for (int64_t k = sl + 1; k < b.src.size(1); ++k) EXPECT_EQ(b.src[r][k].item<int64_t>(), kPad);
  }
  EXPECT_EQ(b.tgt_tokens, b.tgt_mask.sum().item<int64_t>());
}

}  // namespace
}  // namespace nmt::data
