// A lexical shortlist, as Marian's (--shortlist) and CTranslate2's vocabulary
// map keep one: search scores only the target tokens likely for the sentences
// of a batch, not the whole vocabulary. Each source token brings the target
// tokens most associated with it in the training corpus, and the most frequent
// target tokens are always in. The output layer, softmax and top-k then run
// over a few hundred or thousand tokens instead of the whole vocabulary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "nmt/data/corpus.h"
#include "nmt/model/load.h"

namespace nmt::search {

class Shortlist {
 public:
  /// What `--shortlist F,K` asks for: the F most frequent target tokens, and
  /// the K most associated with each source token.
  struct Size {
    int64_t frequent = 0;
    int64_t per_source = 0;
    /// "F,K" with F >= 0 and K >= 1; std::invalid_argument saying what is wrong otherwise.
    static Size parse(const std::string& text);
  };

  /// At most this many pairs of a corpus are counted, spread evenly over it,
  /// so that building a shortlist of a WMT-size corpus stays bounded.
  static constexpr int64_t kMaxPairs = 100'000;

  /// Counts, over (at most kMaxPairs) pairs of `corpus`, the pairs in which
  /// each source token, each target token and each of their pairings occur,
  /// and keeps for every source token the `size.per_source` target tokens of
  /// highest Dice coefficient 2 c(s, t) / (c(s) + c(t)), which, unlike
  /// c(s, t) / c(s), does not favour the tokens found everywhere; those come
  /// in as the `size.frequent` most frequent.
  static Shortlist build(const data::EncodedCorpus& corpus, int64_t src_vocab, int64_t tgt_vocab, Size size);

  /// The shortlist of a trained model, counted over its training corpus (the
  /// cache in its directory, encoded again if the corpus changed). A DataError
  /// naming the file when the corpus cannot be read.
  static Shortlist of_model(const model::LoadedModel& model, Size size);

  /// The target tokens a search of `src` ([B, S] ids of the source vocabulary,
  /// pad ignored) may emit: eos, unk, the frequent ones and those of each
  /// source token, ascending, as [V'] int64 on the CPU. Never pad or bos.
  torch::Tensor candidates(const torch::Tensor& src) const;

 private:
  std::vector<int32_t> always_;                  // eos, unk and the most frequent
  std::vector<std::vector<int32_t>> by_source_;  // per source id
  int64_t tgt_vocab_ = 0;
};

}  // namespace nmt::search
