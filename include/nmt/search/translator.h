// Translation of text: encode, batch by tokens, search, detokenize. Serves
// `nmt translate`, `nmt eval --model` and dev BLEU during training alike.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>

#include "nmt/common/config.h"
#include "nmt/data/lines.h"
#include "nmt/data/vocab.h"
#include "nmt/model/seq2seq.h"
#include "nmt/search/alignment.h"
#include "nmt/search/ensemble.h"
#include "nmt/search/search.h"
#include "nmt/search/shortlist.h"

namespace nmt::search {

/// How to search. Beam, length penalty, output limit and batch size are the
/// config's `decoding` keys, whose defaults and ranges are declared in
/// DecodingConfig and checked when the config (with its command-line flags) is read.
struct SearchOptions {
  DecodingConfig decoding;
  int64_t n_best = 1;  ///< hypotheses returned per sentence, in [1, decoding.beam]
  /// Source pieces a sentence may have (0: no limit); a longer one is cropped
  /// to it with a warning naming the line (Marian's --max-length-crop), or is
  /// a DataError when `crop` is false. Bounds the time and memory of a line.
  int64_t max_input_length = 0;
  bool crop = true;
  /// Given: each translation also carries its attention over the source (of
  /// the first model of an ensemble), from teacher forcing the hypothesis.
  std::optional<model::AttentionChoice> attention = std::nullopt;
  /// Given: each batch is searched over its shortlist's candidates alone.
  std::shared_ptr<const Shortlist> shortlist = nullptr;

  /// The most bytes of an input line worth reading: past them it has more than
  /// max_input_length pieces. A LineReader's max_line_bytes.
  std::size_t max_input_bytes() const {
    const auto pieces = static_cast<std::size_t>(std::clamp<int64_t>(max_input_length, 0, kMaxPieces));
    return pieces > 0 ? std::min(pieces * data::kMaxPieceBytes + 1, data::kMaxLineBytes) : data::kMaxLineBytes;
  }

  /// ConfigError naming --n-best when it is out of range or asked of sampling.
  void validate() const;
};

struct Translation {
  std::string text;
  double score = 0;  ///< the search's length-normalised log-probability
  /// With SearchOptions::attention: the pieces on both sides, eos ("</s>")
  /// last, and the attention [target pieces][source pieces] between them.
  std::vector<std::string> source_pieces, target_pieces;
  Matrix attention;
};

/// A model of an ensemble, with the vocabularies it was trained with.
struct Member {
  model::Seq2Seq* model = nullptr;  ///< on the device, in eval mode
  const data::Vocabs* vocabs = nullptr;
  double weight = 1;
};

class Translator {
 public:
  /// Translates with `members` as one Ensemble. Their target vocabularies must
  /// be the same (the caller checks it and names the models); each encodes the
  /// source with its own source vocabulary. Batches go to the members' device.
  Translator(std::vector<Member> members, SearchOptions options);
  Translator(model::Seq2Seq& model, const data::Vocabs& vocabs, SearchOptions options)
      : Translator({Member{&model, &vocabs}}, std::move(options)) {}
  Translator(model::Seq2Seq& model, const data::Vocabs& vocabs, const DecodingConfig& decoding)
      : Translator(model, vocabs, SearchOptions{decoding}) {}

  /// Translates `lines` in batches of similar length and returns, in input
  /// order, each line's n-best list. An empty line gives one empty translation.
  /// Messages name line i as line `first_line + i` of `source` ("<stdin>: line 7").
  /// Sampling draws from one generator seeded once, by decoding.seed: the same
  /// lines in the same calls give the same translations. `cut[i]` says that
  /// line i was cut by its reader (data::LineReader::cut): it is treated as a
  /// line over max_input_length, cropped with a warning or refused.
  std::vector<std::vector<Translation>> translate(const std::vector<std::string>& lines, int64_t first_line = 1,
                                                  const std::string& source = "", const std::vector<bool>& cut = {});

  const SearchOptions& options() const { return options_; }

 private:
  // The source pieces of `lines` in each member's vocabulary, cropped to
  // max_input_length; the first member's decide lengths and emptiness.
  std::vector<std::vector<std::vector<int32_t>>> encode(const std::vector<std::string>& lines, int64_t first_line,
                                                        const std::string& source, const std::vector<bool>& cut) const;
  // Fills the attention of `translations` [rows][n-best], the hypotheses `hyps`
  // of the first member's source rows src [rows, S] (pieces: each row's own).
  void attach_attention(const torch::Tensor& src, const std::vector<const std::vector<int32_t>*>& pieces,
                        const std::vector<std::vector<Hypothesis>>& hyps,
                        std::vector<std::vector<Translation>*>& translations) const;

  std::vector<Member> members_;
  Ensemble ensemble_;
  SearchOptions options_;
  Sampling sampling_;
  at::Generator generator_;
};

}  // namespace nmt::search
