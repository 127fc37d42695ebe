// The JSON config: typed section structs with their defaults.
//
// Every key is declared exactly once, in its section's visit(): name, member,
// one-line description and allowed range. The same declaration drives parsing
// (with unknown-key, type and range errors), writing the resolved config, and
// the key reference in configs/README.md (`nmt config --reference`).
#pragma once

#include <cstdint>
#include <cstddef>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace nmt {

/// Allowed numeric range of a key; describe() gives the text used in errors.
struct Range {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  bool hi_open = false;

  static Range at_least(double v) { return {v, std::numeric_limits<double>::infinity(), false, false}; }
  static Range positive() { return {0, std::numeric_limits<double>::infinity(), true, false}; }
  static Range closed(double a, double b) { return {a, b, false, false}; }
  static Range half_open(double a, double b) { return {a, b, false, true}; }

  bool contains(double v) const;
  std::string describe() const;
};

/// The config spelling of each value of an enumerated key, in enumerator
/// order. Declared once beside each enum; parsing, writing, the key reference
/// and log lines all read it, so a choice is compared as a string only once,
/// when the config is read.
template <class E>
struct ChoiceNames;

/// The config spelling of `e`, e.g. "inverse_sqrt".
template <class E>
const char* name_of(E e) {
  return ChoiceNames<E>::names[static_cast<std::size_t>(e)];
}

enum class VocabModel { unigram, bpe, character, word };
template <>
struct ChoiceNames<VocabModel> {
  static constexpr const char* names[] = {"unigram", "bpe", "char", "word"};
};

enum class InitState { mean, backward };
template <>
struct ChoiceNames<InitState> {
  static constexpr const char* names[] = {"mean", "backward"};
};

enum class ModelType { rnnsearch, transformer };
template <>
struct ChoiceNames<ModelType> {
  static constexpr const char* names[] = {"rnnsearch", "transformer"};
};

enum class Metric { bleu, chrf, loss };
template <>
struct ChoiceNames<Metric> {
  static constexpr const char* names[] = {"bleu", "chrf", "loss"};
};

enum class OptimizerType { adam, adadelta };
template <>
struct ChoiceNames<OptimizerType> {
  static constexpr const char* names[] = {"adam", "adadelta"};
};

enum class Schedule { constant, inverse_sqrt, plateau };
template <>
struct ChoiceNames<Schedule> {
  static constexpr const char* names[] = {"constant", "inverse_sqrt", "plateau"};
};

/// Arithmetic of training's forward and backward passes (training.precision).
enum class Precision { fp32, bf16, fp16 };
template <>
struct ChoiceNames<Precision> {
  static constexpr const char* names[] = {"fp32", "bf16", "fp16"};
};

struct FilePair {
  std::string src;
  std::string tgt;

  bool empty() const { return src.empty() && tgt.empty(); }

  template <class V>
  void visit(V& v) {
    v.field("src", src, "Source-language file: UTF-8, one sentence per line.");
    v.field("tgt", tgt, "Target-language file, line-aligned with `src`.");
  }
};

/// The largest config file read: 16 MiB, thousands of times a real one.
inline constexpr std::size_t kMaxConfigBytes = std::size_t{16} << 20;

/// The most subword pieces a sentence may have: data.max_len's bound, and the
/// cap of every length computed from a user's values (a*len(src)+b, a synthetic
/// sentence, an input crop).
inline constexpr int64_t kMaxPieces = 65000;

struct DataConfig {
  FilePair train;
  FilePair valid;
  FilePair test;
  std::string src_lang = "en";
  std::string tgt_lang = "fr";
  int64_t max_len = 100;
  bool cache = true;

  template <class V>
  void visit(V& v) {
    v.section("train", train, "Training corpus.");
    v.section("valid", valid, "Validation corpus: loss and dev BLEU during training.");
    v.section("test", test, "Test corpus, for scoring after training.");
    v.field("src_lang", src_lang, "Source language code (informational).");
    v.field("tgt_lang", tgt_lang, "Target language code (informational).");
    v.field("max_len", max_len,
            "Training pairs with more subword pieces than this on either side are filtered out.",
            Range::closed(1, kMaxPieces));
    v.field("cache", cache,
            "Reuse the encoded corpus kept in `model_dir/cache/` when its inputs are unchanged; false re-encodes every run.");
  }
};

struct VocabConfig {
  VocabModel model_type = VocabModel::unigram;
  int64_t size = 8000;
  bool joint = true;
  std::string path;
  std::string src_path;
  std::string tgt_path;
  double character_coverage = 1.0;
  int64_t max_sentences = 2000000;

  template <class V>
  void visit(V& v) {
    v.choice("model_type", model_type, "SentencePiece model type.");
    v.field("size", size, "Vocabulary size, specials included (per side when not joint).",
            Range::closed(8, 1 << 20));
    v.field("joint", joint, "One vocabulary for both languages (`spm.model`), else `src.model` and `tgt.model`.");
    v.field("path", path, "Existing joint SentencePiece model to use instead of training one.");
    v.field("src_path", src_path, "Existing source SentencePiece model (when `joint` is false).");
    v.field("tgt_path", tgt_path, "Existing target SentencePiece model (when `joint` is false).");
    v.field("character_coverage", character_coverage, "Share of characters the vocabulary must cover.",
            Range{0.9, 1.0, false, false});
    v.field("max_sentences", max_sentences,
            "Sentences sampled from the corpus to train the vocabulary; bounds its memory.", Range::at_least(1));
  }
};

struct RnnsearchConfig {
  int64_t embed_dim = 256;
  int64_t encoder_hidden = 256;
  int64_t decoder_hidden = 512;
  int64_t attention_dim = 512;
  int64_t maxout_dim = 256;
  InitState init_state = InitState::mean;

  template <class V>
  void visit(V& v) {
    v.field("embed_dim", embed_dim, "Word embedding size (paper: 620).", Range::at_least(1));
    v.field("encoder_hidden", encoder_hidden, "Encoder GRU size per direction (paper: 1000).", Range::at_least(1));
    v.field("decoder_hidden", decoder_hidden, "Decoder GRU size (paper: 1000).", Range::at_least(1));
    v.field("attention_dim", attention_dim, "Alignment model hidden size (paper: 1000).", Range::at_least(1));
    v.field("maxout_dim", maxout_dim, "Deep-output size after maxout over pairs (paper: 500).", Range::at_least(1));
    v.choice("init_state", init_state,
             "Decoder initial state: tanh(W mean_j h_j), or tanh(W_s bwd_1) as in the paper.");
  }
};

struct TransformerConfig {
  int64_t encoder_layers = 6;
  int64_t decoder_layers = 6;
  int64_t d_model = 512;
  int64_t heads = 8;
  int64_t ff_dim = 2048;
  bool pre_norm = false;
  double attention_dropout = 0.1;
  double activation_dropout = 0.0;
  bool tie_embeddings = true;

  template <class V>
  void visit(V& v) {
    v.field("encoder_layers", encoder_layers, "Encoder layers.", Range::at_least(1));
    v.field("decoder_layers", decoder_layers, "Decoder layers.", Range::at_least(1));
    v.field("d_model", d_model, "Model width; must be divisible by `heads`.", Range::at_least(1));
    v.field("heads", heads, "Attention heads.", Range::at_least(1));
    v.field("ff_dim", ff_dim, "Feed-forward inner size.", Range::at_least(1));
    v.field("pre_norm", pre_norm, "Layer norm before each sublayer instead of after (the paper's post-norm).");
    v.field("attention_dropout", attention_dropout, "Dropout on attention weights.", Range::half_open(0, 1));
    v.field("activation_dropout", activation_dropout, "Dropout after the feed-forward ReLU.",
            Range::half_open(0, 1));
    v.field("tie_embeddings", tie_embeddings,
            "Share source, target and output embeddings (needs a joint vocabulary).");
  }
};

struct ModelConfig {
  ModelType type = ModelType::rnnsearch;
  RnnsearchConfig rnnsearch;
  TransformerConfig transformer;

  template <class V>
  void visit(V& v) {
    v.choice("type", type, "Model family.");
    v.section("rnnsearch", rnnsearch, "Sizes of the RNNsearch model (Bahdanau et al. 2014).");
    v.section("transformer", transformer, "Sizes of the Transformer model (Vaswani et al. 2017).");
  }
};

struct EarlyStoppingConfig {
  Metric metric = Metric::bleu;
  int64_t patience = 10;

  template <class V>
  void visit(V& v) {
    v.choice("metric", metric, "Validation metric that picks `best` and stops early.");
    v.field("patience", patience, "Validations without improvement before stopping; 0 never stops.",
            Range::at_least(0));
  }
};

struct TrainingConfig {
  OptimizerType optimizer = OptimizerType::adam;
  double lr = 5e-4;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_eps = 1e-8;
  double adadelta_rho = 0.95;
  double adadelta_eps = 1e-6;
  Schedule schedule = Schedule::constant;
  int64_t warmup = 4000;
  double plateau_factor = 0.5;
  int64_t plateau_patience = 2;
  double min_lr = 0.0;
  int64_t batch_tokens = 4096;
  int64_t update_freq = 1;
  int64_t max_steps = 0;
  int64_t max_epochs = 0;
  double label_smoothing = 0.1;
  double clip_norm = 1.0;
  double dropout = 0.3;
  int64_t valid_every = 1000;
  int64_t log_every = 100;
  EarlyStoppingConfig early_stopping;
  int64_t seed = 1;
  int64_t keep_checkpoints = 5;
  int64_t threads = 0;
  int64_t max_bad_steps = 10;
  std::string max_time;  // a duration (parse_duration); empty: no limit
  Precision precision = Precision::fp32;
  std::string dist_timeout = "30m";  // a duration (parse_duration)
  double ema_decay = 0;
  int64_t keep_best = 0;
  int64_t plot_attention = 0;

  template <class V>
  void visit(V& v) {
    v.choice("optimizer", optimizer, "Optimizer.");
    v.field("lr", lr, "Peak learning rate (Adadelta in the paper: 1.0).", Range::positive());
    v.field("adam_beta1", adam_beta1, "Adam beta1.", Range::half_open(0, 1));
    v.field("adam_beta2", adam_beta2, "Adam beta2 (Transformer: 0.98).", Range::half_open(0, 1));
    v.field("adam_eps", adam_eps, "Adam epsilon (Transformer: 1e-9).", Range::positive());
    v.field("adadelta_rho", adadelta_rho, "Adadelta decay rate (paper: 0.95).", Range::half_open(0, 1));
    v.field("adadelta_eps", adadelta_eps, "Adadelta epsilon (paper: 1e-6).", Range::positive());
    v.choice("schedule", schedule,
             "Learning-rate schedule: constant; linear warmup then lr*sqrt(warmup/step); or multiply by "
             "`plateau_factor` when the validation metric stalls.");
    v.field("warmup", warmup, "Warmup steps of `inverse_sqrt`.", Range::at_least(0));
    v.field("plateau_factor", plateau_factor, "LR multiplier of `plateau`.", Range{0, 1, true, true});
    v.field("plateau_patience", plateau_patience, "Validations without improvement before `plateau` decays.",
            Range::at_least(0));
    v.field("min_lr", min_lr, "The learning rate never goes below this.", Range::at_least(0));
    v.field("batch_tokens", batch_tokens, "Token budget per batch: sentences x longest target, eos included.",
            Range::at_least(1));
    v.field("update_freq", update_freq,
            "Batches whose gradients are summed before each update, as one batch of all their tokens (fairseq's "
            "--update-freq, Marian's --optimizer-delay); the learning-rate schedule and the step counts count updates. "
            "An update's batches are read before it runs.",
            Range::closed(1, 1024));
    v.field("max_steps", max_steps, "Stop after this many updates; 0 means no limit.", Range::at_least(0));
    v.field("max_epochs", max_epochs, "Stop after this many epochs; 0 means no limit.", Range::at_least(0));
    v.field("max_time", max_time,
            "Stop when this much time has passed (\"90s\", \"40m\", \"2h\", \"1h30m\"; runs resumed with "
            "`--resume` count together), after a last validation and the checkpoints; empty means no limit.");
    v.field("label_smoothing", label_smoothing, "Label smoothing epsilon.", Range::half_open(0, 1));
    v.field("ema_decay", ema_decay,
            "Keep an exponential moving average of the weights with this decay (e.g. 0.9999), updated after every "
            "update t with min(decay, (1+t)/(10+t)); validation, best.pt and translation use it. 0 turns it off.",
            Range::half_open(0, 1));
    v.field("clip_norm", clip_norm, "Gradient-norm clipping threshold; 0 disables.", Range::at_least(0));
    v.field("dropout", dropout, "Dropout rate.", Range::half_open(0, 1));
    v.field("valid_every", valid_every, "Validate (loss and dev BLEU) and checkpoint every N updates.",
            Range::at_least(1));
    v.field("log_every", log_every, "Progress line every N updates.", Range::at_least(1));
    v.section("early_stopping", early_stopping, "Early stopping.");
    v.field("seed", seed, "Random seed: initialisation, dropout and batch order.", Range::at_least(0));
    v.field("keep_checkpoints", keep_checkpoints, "Numbered checkpoints kept besides `best` and `last`.",
            Range::at_least(0));
    v.field("keep_best", keep_best,
            "Also keep the N checkpoints with the best dev metric, as best-STEP.pt ranked in best.json with their "
            "scores (what `nmt average --best N` averages); 0 keeps none.",
            Range::at_least(0));
    v.field("plot_attention", plot_attention,
            "At every validation, draw the attention heatmaps (PNG and SVG) of the first N dev sentences into "
            "model_dir/attention/step-STEP/; 0 draws none.",
            Range::at_least(0));
    v.field("threads", threads, "Intra-op CPU threads; 0 uses every core. `--threads` overrides.",
            Range::at_least(0));
    v.choice("precision", precision,
             "Arithmetic of the forward and backward passes: fp32; bf16 (autocast; on a CPU where LibTorch's CPU "
             "autocast supports it); fp16 (autocast with dynamic loss scaling, CUDA only). Weights, gradients and "
             "optimizer state stay fp32, and checkpoints load in any precision.");
    v.field("dist_timeout", dist_timeout,
            "Data-parallel training: how long a rank waits for the others (the rendezvous, every collective, rank "
            "0's data preparation and validation) before it stops with an error naming what it waited for; "
            "`nmt prepare` first keeps a large corpus's encoding out of it.");
    v.field("max_bad_steps", max_bad_steps,
            "Updates in a row whose loss or gradient is NaN or infinite (each one skipped) before training "
            "stops with an error; last.pt then holds the weights from before them.",
            Range::at_least(1));
  }
};

/// The longest duration a config may give: a year, in seconds. Longer ones
/// would overflow the milliseconds of a timeout.
inline constexpr int64_t kMaxDurationSeconds = int64_t{365} * 24 * 3600;

/// A duration as "90s", "40m", "2h", "1.5h" or "1h30m" (units s, m, h, summed),
/// in seconds; std::invalid_argument saying what is wrong otherwise.
double parse_duration(const std::string& text);

/// How to draw a translation instead of searching for the best one
/// (`decoding.sampling`): from the whole distribution, from its K most likely
/// tokens, or from the smallest set of most likely tokens whose probability
/// reaches P (nucleus sampling, Holtzman et al. 2020).
struct Sampling {
  enum class Kind { none, full, topk, topp };
  Kind kind = Kind::none;
  int64_t k = 0;  ///< topk: K >= 1
  double p = 0;   ///< topp: P in (0, 1]

  bool enabled() const { return kind != Kind::none; }
  /// "" (none), "full", "topk:K" or "topp:P"; std::invalid_argument saying
  /// what is wrong otherwise.
  static Sampling parse(const std::string& text);
};

struct DecodingConfig {
  int64_t beam = 5;
  double alpha = 0.6;
  double max_len_a = 1.5;
  int64_t max_len_b = 10;
  int64_t batch_tokens = 4096;
  std::string sampling;  // Sampling::parse; empty: search
  double temperature = 1.0;
  int64_t seed = 1;

  template <class V>
  void visit(V& v) {
    v.field("beam", beam, "Beam size; 1 is greedy search.", Range::closed(1, 1000));
    v.field("alpha", alpha, "GNMT length penalty ((5+len)/6)^alpha; 0 disables.", Range::at_least(0));
    v.field("max_len_a", max_len_a, "Output length limit a*len(src)+b: a.", Range::at_least(0));
    v.field("max_len_b", max_len_b, "Output length limit a*len(src)+b: b.", Range::at_least(0));
    v.field("batch_tokens", batch_tokens, "Source tokens per translation batch.", Range::at_least(1));
    v.field("sampling", sampling,
            "Draw each translation at random instead of searching: `full`, `topk:K` (the K most likely tokens) or "
            "`topp:P` (the most likely tokens up to probability P); empty searches. Dev BLEU always searches.");
    v.field("temperature", temperature, "Sampling temperature: log-probabilities are divided by it.",
            Range::closed(1e-4, 1e4));
    v.field("seed", seed, "Sampling seed: the same seed, input and model give the same translations.",
            Range::at_least(0));
  }

  /// The parsed `sampling`.
  Sampling sampler() const { return Sampling::parse(sampling); }
};

struct Config {
  DataConfig data;
  VocabConfig vocab;
  ModelConfig model;
  TrainingConfig training;
  DecodingConfig decoding;
  std::string model_dir;

  template <class V>
  void visit(V& v) {
    v.section("data", data, "Corpora.");
    v.section("vocab", vocab, "SentencePiece vocabulary.");
    v.section("model", model, "Model family and sizes.");
    v.section("training", training, "Optimisation.");
    v.section("decoding", decoding, "Search defaults of `nmt translate` and dev BLEU.");
    v.field("model_dir", model_dir,
            "Directory for the vocabulary, checkpoints, logs and the resolved config.");
  }

  /// Cross-key checks that no single key can make; throws ConfigError naming
  /// the keys. `origins` maps a key set from the command line to how messages
  /// name it (`--beam`, `--set decoding.beam`); other keys are "config key K".
  void validate(const std::map<std::string, std::string>& origins = {}) const;
};

/// A value set from the command line: `--set KEY=VALUE`, or a flag bound to a
/// key (`nmt translate --beam 4` sets decoding.beam). It is parsed and checked
/// as the key's type and range, like the file's own value, and errors name `origin`.
struct Override {
  std::string key;     ///< e.g. "decoding.beam"
  std::string value;   ///< as typed
  std::string origin;  ///< e.g. "--beam"; empty means "--set KEY"

  /// `--set KEY=VALUE`; ConfigError when there is no '='.
  static Override from_set(const std::string& assignment);
  std::string name() const { return origin.empty() ? "--set " + key : origin; }
};

/// Loads a config file (JSON with comments), applies `--set key=value` overrides,
/// checks every key, expands `${VAR}` and `${VAR:-default}` from the environment
/// in the data, vocab and model_dir paths, and resolves relative paths against
/// the working directory. Throws ConfigError naming the file and key.
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});
Config load_config(const std::string& path, const std::vector<Override>& overrides);

/// Parses a config from JSON text; `source` names it in errors.
Config parse_config(const std::string& text, const std::string& source,
                    const std::vector<std::string>& overrides = {});
Config parse_config(const std::string& text, const std::string& source, const std::vector<Override>& overrides);

/// The resolved config as pretty JSON, every key present.
std::string config_to_json(const Config& config);

/// Writes the resolved config to `path` atomically.
void write_config(const Config& config, const std::string& path);

/// One key of the schema, as the key reference lists it.
struct KeyInfo {
  enum class Kind { string, boolean, integer, number, choice, section };
  std::string path;           ///< "decoding.max_len_a"
  std::string type;           ///< "integer >= 1", "number in [0, 1)", "string", "boolean", "`a` \\| `b`", "section"
  std::string default_value;  ///< as JSON; "" for an empty string or a section
  std::string doc;
  Kind kind = Kind::string;
  Range range;  ///< of an integer or a number
};

/// Every key of the config, sections included, in declaration order.
const std::vector<KeyInfo>& config_keys();

/// The key reference in Markdown: one table per section with type, default and meaning.
std::string config_reference_markdown();

/// Closest of `candidates` to `word` by edit distance, or "" when none is close.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace nmt
