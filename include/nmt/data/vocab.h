// SentencePiece vocabularies with fixed specials: pad=0 unk=1 bos=2 eos=3.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nmt/common/config.h"

struct nmt_spm;

namespace nmt::data {

inline constexpr int32_t kPad = 0;
inline constexpr int32_t kUnk = 1;
inline constexpr int32_t kBos = 2;
inline constexpr int32_t kEos = 3;

/// The longest piece a vocabulary trained here has, in characters (SentencePiece's
/// max_sentencepiece_length, passed to it), and so in bytes: a text of more
/// than n * kMaxPieceBytes bytes has more than n pieces.
inline constexpr int kMaxPieceChars = 16;
inline constexpr std::size_t kMaxPieceBytes = 4 * kMaxPieceChars;
/// The largest SentencePiece model file read (a 1M-piece model is under 30 MB).
inline constexpr std::size_t kMaxVocabFileBytes = std::size_t{256} << 20;

class Vocab {
 public:
  /// Loads a SentencePiece model; DataError naming the file when it is missing,
  /// unreadable or not a model with the fixed special ids.
  static Vocab load(const std::string& path);

  /// Subword ids of `text` (no bos/eos).
  std::vector<int32_t> encode(std::string_view text) const;
  /// Detokenized text of `ids`; specials are skipped.
  std::string decode(const std::vector<int32_t>& ids) const;
  /// The piece of each id as SentencePiece spells it ("▁" marks a word's
  /// start); the specials as "<pad>", "<unk>", "<s>" and "</s>".
  std::vector<std::string> pieces(const std::vector<int32_t>& ids) const;

  int64_t size() const;
  const std::string& path() const { return path_; }

 private:
  std::shared_ptr<const nmt_spm> sp_;
  std::string path_;
};

/// Source and target vocabularies; the same model twice when joint.
struct Vocabs {
  Vocab src;
  Vocab tgt;
  bool joint = true;
};

/// Model file names inside model_dir.
std::vector<std::string> vocab_paths(const std::string& model_dir, bool joint);

/// Trains a SentencePiece model on the lines of `inputs` (each file read in full,
/// sampled down to `max_sentences`) and writes it atomically to `model_path`.
void train_vocab(const std::vector<std::string>& inputs, const VocabConfig& config, const std::string& model_path,
                 int threads);

/// The vocabularies of `config`: copied from vocab.path/src_path/tgt_path when
/// given, loaded from model_dir when already there, trained on the training corpus otherwise.
Vocabs prepare_vocabs(const Config& config, int threads);

/// Loads the vocabularies saved in a model directory.
Vocabs load_vocabs(const std::string& model_dir, bool joint);

}  // namespace nmt::data
