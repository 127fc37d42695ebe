// Word alignments from attention, in Marian's output formats (`--alignment`):
// Pharaoh "s-t" pairs of source and target word indices for `hard` (each
// target word's most attended source word) or a threshold (every pair above
// it), and for `soft` the word-level matrix, one target word's comma-separated
// source weights after another. Subword attention is summed to whole words
// (SentencePiece's "▁" starts a word); eos is left out on both sides.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nmt::search {

/// SentencePiece's mark of a word's start (U+2581, "▁"), in UTF-8.
inline constexpr std::string_view kWordStart = "\xE2\x96\x81";

/// Attention [target, source] as rows of weights.
using Matrix = std::vector<std::vector<float>>;

struct AlignmentFormat {
  enum class Kind { none, hard, soft, threshold } kind = Kind::none;
  double threshold = 0;  ///< for Kind::threshold, in (0, 1)

  /// "hard", "soft" or a number in (0, 1); anything else is a ConfigError naming --alignment.
  static AlignmentFormat parse(const std::string& text);
  bool enabled() const { return kind != Kind::none; }
};

/// For each SentencePiece piece, the index of the whitespace-separated word of
/// the decoded text it belongs to: a piece that begins with "▁" begins a word
/// (the first piece always does); a bare "▁" goes with the word after it (at
/// the end: the last one); -1 where there is no word at all.
std::vector<int64_t> word_of_pieces(const std::vector<std::string>& pieces);

/// Word-level attention: `attention` [target pieces, source pieces] summed over
/// the pieces of each target word and each source word (rows and columns past
/// the mapped pieces, such as eos, or mapped to -1 are dropped), each row then
/// normalised to sum to 1 (a row of zeros stays zeros).
Matrix word_attention(const Matrix& attention, const std::vector<int64_t>& target_words,
                      const std::vector<int64_t>& source_words);

/// The word-level matrix in `format`: "0-0 1-2 2-1", or soft rows "0.9,0.1 0.2,0.8".
std::string format_alignment(const Matrix& words, const AlignmentFormat& format);

}  // namespace nmt::search
