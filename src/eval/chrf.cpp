#include "nmt/eval/chrf.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "counting.h"
#include "nmt/common/error.h"
#include "nmt/common/utf8.h"
#include "nmt/eval/tokenize.h"

namespace nmt::eval {
namespace {

constexpr int kMaxCharOrder = 6;

// A character n-gram of up to 6 code points (21 bits each) in two words.
struct Key {
  uint64_t hi = 0, lo = 0;
  bool operator<(const Key& o) const { return hi != o.hi ? hi < o.hi : lo < o.lo; }
  bool operator==(const Key& o) const { return hi == o.hi && lo == o.lo; }
};

using KeyCount = Counted<Key>;

// Per order: the sorted n-grams with counts.
using NGramCounts = std::vector<std::vector<KeyCount>>;

NGramCounts char_ngrams(const std::string& line, const ChrfOptions& opt) {
  const std::string text = opt.lowercase ? lowercase(line) : line;
  std::vector<char32_t> cps;
  cps.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const char32_t c = utf8::next(text, i);
    if (opt.whitespace || !is_space(c)) cps.push_back(c);
  }
  NGramCounts out(static_cast<std::size_t>(opt.char_order));
  std::vector<Key> keys;
  for (int n = 1; n <= opt.char_order; ++n) {
    keys.clear();
    for (std::size_t i = 0; i + n <= cps.size(); ++i) {
      Key k;
      for (int j = 0; j < n; ++j) {
        uint64_t& word = j < 3 ? k.hi : k.lo;
        word = (word << 21) | cps[i + j];
      }
      keys.push_back(k);
    }
    out[static_cast<std::size_t>(n - 1)] = count_sorted(keys);
  }
  return out;
}

// Per order: hypothesis n-grams, reference n-grams, matches.
std::vector<int64_t> match_stats(const NGramCounts& hyp, const NGramCounts& ref) {
  std::vector<int64_t> stats;
  for (std::size_t n = 0; n < hyp.size(); ++n) {
    int64_t h_total = 0, r_total = 0, match = 0;
    for (const auto& c : hyp[n]) h_total += c.count;
    for (const auto& c : ref[n]) r_total += c.count;
    auto r = ref[n].begin();
    for (const auto& h : hyp[n]) {
      while (r != ref[n].end() && r->key < h.key) ++r;
      if (r != ref[n].end() && r->key == h.key) match += std::min(h.count, r->count);
    }
    // As sacreBLEU: hypothesis n-grams do not count when the reference has none of this order.
    stats.insert(stats.end(), {ref[n].empty() ? 0 : h_total, r_total, match});
  }
  return stats;
}

// sacreBLEU's CHRF._compute_f_score without eps smoothing: precision and recall
// averaged over the orders that occur on both sides, then the F-beta of the averages.
double f_score(const std::vector<int64_t>& stats, double beta) {
  const double factor = beta * beta;
  double avg_prec = 0, avg_rec = 0;
  int effective_order = 0;
  for (std::size_t i = 0; i + 2 < stats.size(); i += 3) {
    const int64_t n_hyp = stats[i], n_ref = stats[i + 1], n_match = stats[i + 2];
    if (n_hyp > 0 && n_ref > 0) {
      avg_prec += static_cast<double>(n_match) / n_hyp;
      avg_rec += static_cast<double>(n_match) / n_ref;
      ++effective_order;
    }
  }
  if (effective_order == 0) return 0.0;
  avg_prec /= effective_order;
  avg_rec /= effective_order;
  if (avg_prec + avg_rec == 0.0) return 0.0;
  return 100.0 * (1 + factor) * avg_prec * avg_rec / (factor * avg_prec + avg_rec);
}

std::string beta_name(double beta) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", beta);
  return buf;
}

}  // namespace

ChrfScore corpus_chrf(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                      const ChrfOptions& options) {
  if (refs.empty()) throw DataError("chrF needs at least one reference stream");
  if (options.char_order < 1 || options.char_order > kMaxCharOrder) {
    throw ConfigError("chrF character order must be in [1, 6]");
  }
  for (const auto& r : refs) {
    if (r.size() != hyps.size()) {
      throw DataError("chrF: " + std::to_string(hyps.size()) + " hypotheses but a reference stream has " +
                      std::to_string(r.size()) + " lines");
    }
  }
  std::vector<int64_t> totals(static_cast<std::size_t>(3 * options.char_order), 0);
  for (std::size_t i = 0; i < hyps.size(); ++i) {
    const NGramCounts hyp = char_ngrams(hyps[i], options);
    std::vector<int64_t> best;
    double best_f = -1.0;
    for (const auto& stream : refs) {
      auto stats = match_stats(hyp, char_ngrams(stream[i], options));
      const double f = f_score(stats, options.beta);
      if (f > best_f) {
        best_f = f;
        best = std::move(stats);
      }
    }
    for (std::size_t j = 0; j < totals.size(); ++j) totals[j] += best[j];
  }
  ChrfScore s;
  s.options = options;
  s.num_refs = static_cast<int>(refs.size());
  s.score = f_score(totals, options.beta);
  return s;
}

std::string ChrfScore::signature() const {
  return "nrefs:" + std::to_string(num_refs) + "|case:" + (options.lowercase ? "lc" : "mixed") +
         "|eff:yes|nc:" + std::to_string(options.char_order) + "|nw:0|space:" + (options.whitespace ? "yes" : "no") +
         "|version:nmt-" NMT_VERSION;
}

std::string ChrfScore::format(int width) const {
  return "chrF" + beta_name(options.beta) + "|" + signature() + " = " + fixed(score, width);
}

}  // namespace nmt::eval
