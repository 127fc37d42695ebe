#include "nmt/search/alignment.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <utility>

#include "nmt/common/error.h"

namespace nmt::search {

AlignmentFormat AlignmentFormat::parse(const std::string& text) {
  AlignmentFormat f;
  if (text == "hard") {
    f.kind = Kind::hard;
  } else if (text == "soft") {
    f.kind = Kind::soft;
  } else {
    char* end = nullptr;
    const double t = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !(t > 0 && t < 1)) {
      throw ConfigError("--alignment must be hard, soft or a threshold in (0, 1), got '" + text + "'");
    }
    f.kind = Kind::threshold;
    f.threshold = t;
  }
  return f;
}

std::vector<int64_t> word_of_pieces(const std::vector<std::string>& pieces) {
  std::vector<int64_t> words(pieces.size(), -1);
  int64_t word = -1;
  bool space = true;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const bool marked = pieces[i].compare(0, kWordStart.size(), kWordStart) == 0;
    space = space || marked;
    if (pieces[i].size() == (marked ? kWordStart.size() : 0)) continue;  // a bare space: the next word's
    if (space) ++word;
    space = false;
    words[i] = word;
  }
  // Bare spaces go with the word after them, or at the end with the last one.
  for (std::size_t i = pieces.size(); i-- > 0;) {
    if (words[i] < 0) words[i] = i + 1 < pieces.size() ? words[i + 1] : word;
  }
  return words;
}

Matrix word_attention(const Matrix& attention, const std::vector<int64_t>& target_words,
                      const std::vector<int64_t>& source_words) {
  const auto count = [](const std::vector<int64_t>& w) {
    return static_cast<std::size_t>(w.empty() ? 0 : std::max<int64_t>(0, *std::max_element(w.begin(), w.end()) + 1));
  };
  Matrix out(count(target_words), std::vector<float>(count(source_words), 0.0f));
  for (std::size_t t = 0; t < std::min(attention.size(), target_words.size()); ++t) {
    if (target_words[t] < 0) continue;
    auto& row = out[static_cast<std::size_t>(target_words[t])];
    for (std::size_t s = 0; s < std::min(attention[t].size(), source_words.size()); ++s) {
      if (source_words[s] >= 0) row[static_cast<std::size_t>(source_words[s])] += attention[t][s];
    }
  }
  for (auto& row : out) {
    float sum = 0;
    for (const float w : row) sum += w;
    if (sum > 0) {
      for (float& w : row) w /= sum;
    }
  }
  return out;
}

std::string format_alignment(const Matrix& words, const AlignmentFormat& format) {
  std::ostringstream out;
  if (format.kind == AlignmentFormat::Kind::soft) {
    for (std::size_t t = 0; t < words.size(); ++t) {
      if (t > 0) out << ' ';
      for (std::size_t s = 0; s < words[t].size(); ++s) out << (s > 0 ? "," : "") << words[t][s];
    }
    return out.str();
  }
  std::vector<std::pair<std::size_t, std::size_t>> pairs;  // (source, target)
  for (std::size_t t = 0; t < words.size(); ++t) {
    const auto& row = words[t];
    if (row.empty()) continue;
    if (format.kind == AlignmentFormat::Kind::hard) {
      pairs.emplace_back(static_cast<std::size_t>(std::max_element(row.begin(), row.end()) - row.begin()), t);
      continue;
    }
    for (std::size_t s = 0; s < row.size(); ++s) {
      if (row[s] > format.threshold) pairs.emplace_back(s, t);
    }
  }
  std::sort(pairs.begin(), pairs.end());  // by source, then target, as Marian prints them
  for (std::size_t i = 0; i < pairs.size(); ++i) out << (i > 0 ? " " : "") << pairs[i].first << '-' << pairs[i].second;
  return out.str();
}

}  // namespace nmt::search
