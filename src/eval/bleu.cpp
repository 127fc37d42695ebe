#include "nmt/eval/bleu.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "counting.h"
#include "nmt/common/error.h"

namespace nmt::eval {
namespace {

constexpr int kMaxOrder = 4;

// An n-gram of per-segment token ids (>= 1), zero-padded, so the order is implicit.
using NGram = std::array<uint32_t, kMaxOrder>;

using NGramCount = Counted<NGram>;

int order_of(const NGram& g) {
  int n = 0;
  while (n < kMaxOrder && g[n] != 0) ++n;
  return n;
}

// All n-grams of orders 1..4 with their counts, sorted.
std::vector<NGramCount> count_ngrams(const std::vector<uint32_t>& ids) {
  std::vector<NGram> grams;
  grams.reserve(ids.size() * kMaxOrder);
  for (int n = 1; n <= kMaxOrder; ++n) {
    for (std::size_t i = 0; i + n <= ids.size(); ++i) {
      NGram g{};
      std::copy_n(ids.begin() + static_cast<std::ptrdiff_t>(i), n, g.begin());
      grams.push_back(g);
    }
  }
  return count_sorted(std::move(grams));
}

std::vector<std::string_view> prepare(const std::string& line, const BleuOptions& opt, std::string& storage) {
  storage = opt.lowercase ? lowercase(line) : line;
  storage = tokenize(rstrip(storage), opt.tokenizer);
  return split_whitespace(storage);
}

// sacreBLEU's closest reference length: smallest |hyp - ref|, the shorter on ties.
int64_t closest_ref_len(int64_t hyp_len, const std::vector<int64_t>& ref_lens) {
  int64_t best_diff = -1, best_len = -1;
  for (const int64_t r : ref_lens) {
    const int64_t diff = std::llabs(hyp_len - r);
    if (best_diff == -1 || diff < best_diff) {
      best_diff = diff;
      best_len = r;
    } else if (diff == best_diff && r < best_len) {
      best_len = r;
    }
  }
  return best_len;
}

}  // namespace

BleuScore corpus_bleu(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                      const BleuOptions& options) {
  if (refs.empty()) throw DataError("BLEU needs at least one reference stream");
  for (const auto& r : refs) {
    if (r.size() != hyps.size()) {
      throw DataError("BLEU: " + std::to_string(hyps.size()) + " hypotheses but a reference stream has " +
                      std::to_string(r.size()) + " lines");
    }
  }
  BleuScore s;
  s.options = options;
  s.num_refs = static_cast<int>(refs.size());

  std::string hyp_storage;
  std::vector<std::string> ref_storage(refs.size());
  std::vector<std::vector<std::string_view>> ref_tokens(refs.size());
  std::vector<std::string_view> vocab;
  std::vector<int64_t> ref_lens(refs.size());
  auto to_ids = [&vocab](const std::vector<std::string_view>& toks) {
    std::vector<uint32_t> ids(toks.size());
    for (std::size_t i = 0; i < toks.size(); ++i) {
      ids[i] = static_cast<uint32_t>(std::lower_bound(vocab.begin(), vocab.end(), toks[i]) - vocab.begin()) + 1;
    }
    return ids;
  };

  for (std::size_t i = 0; i < hyps.size(); ++i) {
    const auto hyp_tokens = prepare(hyps[i], options, hyp_storage);
    vocab.assign(hyp_tokens.begin(), hyp_tokens.end());
    for (std::size_t k = 0; k < refs.size(); ++k) {
      ref_tokens[k] = prepare(refs[k][i], options, ref_storage[k]);
      ref_lens[k] = static_cast<int64_t>(ref_tokens[k].size());
      vocab.insert(vocab.end(), ref_tokens[k].begin(), ref_tokens[k].end());
    }
    std::sort(vocab.begin(), vocab.end());
    vocab.erase(std::unique(vocab.begin(), vocab.end()), vocab.end());

    // Reference counts: the maximum of each n-gram over the references.
    std::vector<NGramCount> ref_max;
    for (std::size_t k = 0; k < refs.size(); ++k) {
      const auto c = count_ngrams(to_ids(ref_tokens[k]));
      ref_max.insert(ref_max.end(), c.begin(), c.end());
    }
    std::sort(ref_max.begin(), ref_max.end(), [](const NGramCount& a, const NGramCount& b) {
      return a.key != b.key ? a.key < b.key : a.count > b.count;
    });
    ref_max.erase(std::unique(ref_max.begin(), ref_max.end(),
                              [](const NGramCount& a, const NGramCount& b) { return a.key == b.key; }),
                  ref_max.end());

    const int64_t hyp_len = static_cast<int64_t>(hyp_tokens.size());
    s.hyp_len += hyp_len;
    s.ref_len += closest_ref_len(hyp_len, ref_lens);
    for (int n = 1; n <= kMaxOrder; ++n) s.total[n - 1] += std::max<int64_t>(0, hyp_len - n + 1);

    auto r = ref_max.begin();
    for (const auto& h : count_ngrams(to_ids(hyp_tokens))) {
      while (r != ref_max.end() && r->key < h.key) ++r;
      if (r != ref_max.end() && r->key == h.key) s.correct[order_of(h.key) - 1] += std::min(h.count, r->count);
    }
  }

  // sacreBLEU's BLEU.compute_bleu with smooth_method='exp'.
  s.bp = s.hyp_len < s.ref_len ? (s.hyp_len > 0 ? std::exp(1.0 - static_cast<double>(s.ref_len) / s.hyp_len) : 0.0)
                               : 1.0;
  s.ratio = s.ref_len > 0 ? static_cast<double>(s.hyp_len) / s.ref_len : 0.0;
  if (std::none_of(s.correct.begin(), s.correct.end(), [](int64_t c) { return c > 0; })) return s;
  double smooth = 1.0;
  for (int n = 0; n < kMaxOrder; ++n) {
    if (s.total[n] == 0) break;
    if (s.correct[n] == 0) {
      smooth *= 2;
      s.precisions[n] = 100.0 / (smooth * s.total[n]);
    } else {
      s.precisions[n] = 100.0 * s.correct[n] / s.total[n];
    }
  }
  double log_sum = 0;
  for (const double p : s.precisions) log_sum += p == 0.0 ? -9999999999.0 : std::log(p);
  s.score = s.bp * std::exp(log_sum / kMaxOrder);
  return s;
}

std::string BleuScore::signature() const {
  return "nrefs:" + std::to_string(num_refs) + "|case:" + (options.lowercase ? "lc" : "mixed") +
         "|eff:no|tok:" + tokenizer_name(options.tokenizer) + "|smooth:exp|version:nmt-" NMT_VERSION;
}

std::string BleuScore::verbose() const {
  std::string out;
  for (int n = 0; n < kMaxOrder; ++n) out += (n ? "/" : "") + fixed(precisions[n], 1);
  return out + " (BP = " + fixed(bp, 3) + " ratio = " + fixed(ratio, 3) + " hyp_len = " + std::to_string(hyp_len) +
         " ref_len = " + std::to_string(ref_len) + ")";
}

std::string BleuScore::format(int width) const {
  return "BLEU|" + signature() + " = " + fixed(score, width) + " " + verbose();
}

}  // namespace nmt::eval
