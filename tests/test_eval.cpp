// BLEU and chrF against hand-computed values and against figures sacreBLEU 2.x
// prints for the same input (sacrebleu -m bleu chrf -b -w 4, lines rstripped).
#include <gtest/gtest.h>

#include <cmath>

#include "nmt/eval/bleu.h"
#include "nmt/eval/chrf.h"
#include "nmt/eval/tokenize.h"

namespace nmt::eval {
namespace {

using Lines = std::vector<std::string>;
using Refs = std::vector<Lines>;

double bleu(const Lines& h, const Refs& r, Tokenizer t = Tokenizer::k13a, bool lc = false) {
  return corpus_bleu(h, r, {t, lc}).score;
}
double chrf(const Lines& h, const Refs& r, bool lc = false) {
  ChrfOptions o;
  o.lowercase = lc;
  return corpus_chrf(h, r, o).score;
}

TEST(Tokenize, Mteval13a) {
  EXPECT_EQ(tokenize("Hello, world! It's 3.14 and 1,000 - e.g. \"quoted\" &amp; (x)", Tokenizer::k13a),
            "Hello , world ! It's 3.14 and 1,000 - e . g . \" quoted \" & ( x )");
  EXPECT_EQ(tokenize("a-b 1-2 $5 €5 «ok»", Tokenizer::k13a), "a-b 1 - 2 $ 5 €5 «ok»");
  EXPECT_EQ(tokenize("Jahr 2019.", Tokenizer::k13a), "Jahr 2019 .");
  EXPECT_EQ(tokenize("a..b", Tokenizer::k13a), "a . . b");
  EXPECT_EQ(tokenize("x,.y", Tokenizer::k13a), "x , . y");
  EXPECT_EQ(tokenize("<skipped>ok&lt;b&gt;", Tokenizer::k13a), "ok < b >");
  EXPECT_EQ(tokenize("  spaced \t out\u00a0here  ", Tokenizer::k13a), "spaced out here");
}

TEST(Tokenize, International) {
  EXPECT_EQ(tokenize("Hello, world! It's 3.14 and 1,000 - e.g. \"quoted\" &amp; (x)", Tokenizer::kIntl),
            "Hello , world ! It ' s 3.14 and 1,000 - e . g . \" quoted \" & amp ; ( x )");
  EXPECT_EQ(tokenize("a-b 1-2 $5 €5 «ok»", Tokenizer::kIntl), "a - b 1-2 $ 5 € 5 « ok »");
  EXPECT_EQ(tokenize("Jahr 2019.", Tokenizer::kIntl), "Jahr 2019.");
  EXPECT_EQ(tokenize("<skipped>ok&lt;b&gt;", Tokenizer::kIntl), "< skipped > ok & lt ; b & gt ;");
}

TEST(Tokenize, CharAndNone) {
  EXPECT_EQ(tokenize("ab c日", Tokenizer::kChar), "a b c 日");
  EXPECT_EQ(tokenize("a,b  c", Tokenizer::kNone), "a,b  c");
}

TEST(Tokenize, PythonLowerAndSplit) {
  EXPECT_EQ(lowercase("ΑΣ ΣΑ ΟΔΟΣ. İ"), "ας σα οδος. i\u0307");  // final sigma, dotted capital I
  EXPECT_EQ(lowercase("ÉCOLE Straße"), "école straße");
  const auto toks = split_whitespace("a\u202fb\u3000c \t d\u200be");  // U+200B is not whitespace
  EXPECT_EQ(toks, (std::vector<std::string_view>{"a", "b", "c", "d\u200be"}));
  EXPECT_EQ(rstrip("text \u00a0\t\r"), "text");
}

TEST(Bleu, HandComputed) {
  // 7 tokens each; matches: 1-grams 6/7, 2-grams 4/6, 3-grams 2/5, 4-grams 1/4.
  const auto s = corpus_bleu({"The cat sat on the mat."}, {{"The cat is on the mat."}});
  const double expected = 100 * std::pow(6.0 / 7 * 4.0 / 6 * 2.0 / 5 * 1.0 / 4, 0.25);
  EXPECT_NEAR(s.score, expected, 1e-9);
  EXPECT_EQ(s.correct, (std::array<int64_t, 4>{6, 4, 2, 1}));
  EXPECT_EQ(s.total, (std::array<int64_t, 4>{7, 6, 5, 4}));
  EXPECT_EQ(s.format(2),
            "BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:nmt-" NMT_VERSION
            " = 48.89 85.7/66.7/40.0/25.0 (BP = 1.000 ratio = 1.000 hyp_len = 7 ref_len = 7)");
}

TEST(Bleu, BrevityPenaltyAndExpSmoothing) {
  // Hand-computed: 3 tokens against 6, every n-gram up to 3 matches, and a
  // hypothesis without 4-grams scores 0, as in sacreBLEU.
  const auto s = corpus_bleu({"the cat sat"}, {{"the cat sat on a mat"}});
  EXPECT_NEAR(s.bp, std::exp(1.0 - 6.0 / 3), 1e-12);
  EXPECT_NEAR(s.precisions[0], 100.0, 1e-12);
  EXPECT_NEAR(s.precisions[2], 100.0, 1e-12);
  EXPECT_EQ(s.precisions[3], 0.0);  // no 4-grams at all: BLEU is 0, as sacreBLEU
  EXPECT_EQ(s.score, 0.0);
  // One 4-gram present but unmatched: smoothed to 100 / (2 * 1).
  const auto t = corpus_bleu({"a b c d"}, {{"a b c e"}});
  EXPECT_NEAR(t.precisions[2], 50.0, 1e-12);       // 1 of 2 trigrams
  EXPECT_NEAR(t.precisions[3], 100.0 / 2, 1e-12);  // smoothed
}

TEST(Bleu, EdgeCases) {
  EXPECT_EQ(bleu({""}, {{"The cat is on the mat."}}), 0.0);
  const auto empty = corpus_bleu({}, {{}});
  EXPECT_EQ(empty.score, 0.0);
  EXPECT_EQ(empty.format(2),
            "BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:nmt-" NMT_VERSION
            " = 0.00 0.0/0.0/0.0/0.0 (BP = 1.000 ratio = 0.000 hyp_len = 0 ref_len = 0)");
  EXPECT_EQ(bleu({"a b"}, {{"a b"}}), 0.0);  // shorter than 4 tokens
  EXPECT_NEAR(bleu({"the same sentence here ."}, {{"the same sentence here ."}}), 100.0, 1e-9);
  EXPECT_THROW(corpus_bleu({"a"}, {{"a", "b"}}), std::exception);
}

// Expected values: sacreBLEU 2.x on the same input.
TEST(Bleu, MatchesSacrebleu) {
  const Lines punct = {"Hello, world! (yes) \"quoted\" 3.14 1,000 e.g. x-y 1-2"};
  const Refs punct_ref = {{"Hello , world ! ( yes ) \" quoted \" 3.14 1,000 e.g. x-y 1 - 2"}};
  EXPECT_NEAR(bleu(punct, punct_ref), 100.0, 1e-9);
  EXPECT_NEAR(bleu(punct, punct_ref, Tokenizer::kIntl), 85.57423956196074, 1e-9);
  EXPECT_NEAR(bleu(punct, punct_ref, Tokenizer::kNone), 12.270657218905255, 1e-9);

  const Lines apos = {"L'homme n'est pas là, c'est ça."};
  const Refs apos_ref = {{"L'homme n’est pas là , c'est ça ."}};
  EXPECT_NEAR(bleu(apos, apos_ref), 70.71067811865478, 1e-9);
  EXPECT_NEAR(bleu(apos, apos_ref, Tokenizer::kIntl), 78.25422900366432, 1e-9);
  EXPECT_NEAR(bleu(apos, apos_ref, Tokenizer::kChar), 89.42255541978504, 1e-9);

  const Lines nums = {"In 2019, 3.5% of 1,000 people paid $20."};
  const Refs nums_ref = {{"In 2019 , 3.5 % of 1000 people paid 20 $."}};
  EXPECT_NEAR(bleu(nums, nums_ref), 50.81327481546145, 1e-9);
  EXPECT_NEAR(bleu(nums, nums_ref, Tokenizer::kIntl), 48.83499409416458, 1e-9);

  const Lines nonlatin = {"日本語 の テキスト です 。", "Η γάτα κάθεται.", "مرحبا بالعالم"};
  const Refs nonlatin_ref = {{"日本語 の 文章 です 。", "Η γάτα κάθεται στο χαλί.", "مرحبا بالعالم"}};
  EXPECT_NEAR(bleu(nonlatin, nonlatin_ref), 30.929926380343165, 1e-9);
  EXPECT_NEAR(bleu(nonlatin, nonlatin_ref, Tokenizer::kChar), 68.88184194865939, 1e-9);

  const Lines multi = {"the cat is on the mat", "there is a dog"};
  const Refs multi_refs = {{"the cat sat on the mat", "a dog is there"},
                           {"there is a cat on the mat", "there is a dog here"}};
  EXPECT_NEAR(bleu(multi, multi_refs), 55.33409598501609, 1e-9);
  EXPECT_NEAR(bleu(multi, multi_refs, Tokenizer::kChar), 84.06081362721187, 1e-9);
  EXPECT_EQ(corpus_bleu(multi, multi_refs).ref_len, 10);  // closest lengths, shorter on ties

  EXPECT_EQ(bleu({"THE Cat IS On The MAT"}, {{"the cat is on the mat"}}), 0.0);
  EXPECT_NEAR(bleu({"THE Cat IS On The MAT"}, {{"the cat is on the mat"}}, Tokenizer::k13a, true), 100.0, 1e-9);
}

TEST(Chrf, HandComputedIdentityAndDisjoint) {
  EXPECT_NEAR(chrf({"abc def"}, {{"abc def"}}), 100.0, 1e-9);
  EXPECT_EQ(chrf({"xyz"}, {{"abc"}}), 0.0);
  EXPECT_EQ(chrf({""}, {{"abc"}}), 0.0);
  // "ab" vs "abc": orders 1-2 occur on both sides. Order 1: P 2/2, R 2/3;
  // order 2: P 1/1, R 1/2. Averages P = 1, R = 7/12; F2 = 5PR / (4P + R).
  const double p = 1.0, r = 7.0 / 12;
  EXPECT_NEAR(chrf({"ab"}, {{"abc"}}), 100 * 5 * p * r / (4 * p + r), 1e-9);
}

TEST(Chrf, MatchesSacrebleu) {
  EXPECT_NEAR(chrf({"The cat sat on the mat."}, {{"The cat is on the mat."}}), 67.17273492330233, 1e-9);
  EXPECT_NEAR(chrf({"L'homme n'est pas là, c'est ça."}, {{"L'homme n’est pas là , c'est ça ."}}),
              84.49397341788647, 1e-9);
  EXPECT_NEAR(chrf({"日本語 の テキスト です 。", "Η γάτα κάθεται.", "مرحبا بالعالم"},
                   {{"日本語 の 文章 です 。", "Η γάτα κάθεται στο χαλί.", "مرحبا بالعالم"}}),
              65.84973375990978, 1e-9);
  EXPECT_NEAR(chrf({"the cat is on the mat", "there is a dog"},
                   {{"the cat sat on the mat", "a dog is there"}, {"there is a cat on the mat", "there is a dog here"}}),
              66.38177782534791, 1e-9);
  EXPECT_NEAR(chrf({"THE Cat IS On The MAT"}, {{"the cat is on the mat"}}), 7.430555555555555, 1e-9);
  EXPECT_NEAR(chrf({"THE Cat IS On The MAT"}, {{"the cat is on the mat"}}, true), 100.0, 1e-9);
  EXPECT_EQ(corpus_chrf({"a"}, {{"a"}}).format(2),
            "chrF2|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:nmt-" NMT_VERSION " = 100.00");
}

}  // namespace
}  // namespace nmt::eval
