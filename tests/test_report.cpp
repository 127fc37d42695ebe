// The report of `nmt eval` as a library: metric lists, stream checks, and the
// text and JSON sacreBLEU prints.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "nmt/common/error.h"
#include "nmt/eval/report.h"
#include "test_util.h"

namespace nmt::eval {
namespace {

const std::vector<std::string> kHyps = {"The cat sat on the mat."};
const std::vector<std::vector<std::string>> kRefs = {{"The cat is on the mat."}};

TEST(Report, MetricListsParseAndPrintBack) {
  ReportOptions o;
  EXPECT_EQ(o.metrics(), "bleu,chrf");
  o.set_metrics("chrf");
  EXPECT_FALSE(o.bleu);
  EXPECT_TRUE(o.chrf);
  o.set_metrics("chrf,bleu");
  EXPECT_EQ(o.metrics(), "bleu,chrf");  // BLEU first, as sacreBLEU prints them
  try {
    o.set_metrics("bleu,ter");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "--metrics: unknown metric 'ter' (expected bleu, chrf)");
  }
}

TEST(Report, TextIsSacrebleusAlignedOnTheEqualsSign) {
  EXPECT_EQ(score_report(kHyps, kRefs, {}),
            "  BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:nmt-" NMT_VERSION
            " = 48.89 85.7/66.7/40.0/25.0 (BP = 1.000 ratio = 1.000 hyp_len = 7 ref_len = 7)\n"
            "chrF2|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:nmt-" NMT_VERSION " = 67.17\n");
  ReportOptions o;
  o.set_metrics("chrf");
  o.width = 4;
  EXPECT_EQ(score_report(kHyps, kRefs, o),
            "chrF2|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:nmt-" NMT_VERSION " = 67.1727\n");  // 67.17 at the default width, as sacreBLEU prints it
}

TEST(Report, JsonIsOneObjectOrAnArray) {
  ReportOptions o;
  o.json = true;
  const auto both = nlohmann::json::parse(score_report(kHyps, kRefs, o));
  ASSERT_TRUE(both.is_array());
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].at("name"), "BLEU");
  EXPECT_DOUBLE_EQ(both[0].at("score").get<double>(), 48.89);
  EXPECT_EQ(both[0].at("tok"), "13a");
  EXPECT_EQ(both[0].at("verbose_score"), "85.7/66.7/40.0/25.0 (BP = 1.000 ratio = 1.000 hyp_len = 7 ref_len = 7)");
  EXPECT_EQ(both[1].at("name"), "chrF2");
  EXPECT_FALSE(both[1].contains("verbose_score"));
  o.set_metrics("bleu");
  const auto one = nlohmann::json::parse(score_report(kHyps, kRefs, o));
  ASSERT_TRUE(one.is_object());
  EXPECT_EQ(one.at("name"), "BLEU");
}

TEST(Report, LineCountsMustAgreeAndTheMessageNamesBothStreams) {
  EXPECT_NO_THROW(check_line_counts(kHyps, kRefs, {"ref.fr"}, "hypotheses 'hyp.fr'"));
  try {
    check_line_counts(kHyps, {kRefs[0], {"a", "b"}}, {"ref1.fr", "ref2.fr"}, "hypotheses 'hyp.fr'");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), "hypotheses 'hyp.fr' and reference 'ref2.fr' have different line counts: 1 and 2");
  }
}

TEST(Report, SegmentsLoseTrailingWhitespaceOnly) {
  test::TempDir d;
  test::write_file(d / "h", "  a b \t\nc\u00a0\n\n");
  EXPECT_EQ(read_segments(d / "h"), (std::vector<std::string>{"  a b", "c", ""}));
}

}  // namespace
}  // namespace nmt::eval
