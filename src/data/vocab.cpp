#include "nmt/data/vocab.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cctype>
#include <exception>
#include <filesystem>
#include <mutex>

#include <nlohmann/json.hpp>

#include "nmt/common/environment.h"
#include "nmt/common/error.h"
#include "nmt/common/fs.h"
#include "nmt/common/logging.h"
#include "nmt/common/utf8.h"
#include "nmt/data/lines.h"
#include "spm/spm_api.h"

namespace nmt::data {
namespace {

// SentencePiece, reached through libnmt_spm.so (see spm_api.h for why).
struct SpmLibrary {
  nmt_spm_load_fn load = nullptr;
  nmt_spm_free_fn free = nullptr;
  nmt_spm_size_fn size = nullptr;
  nmt_spm_specials_fn specials = nullptr;
  nmt_spm_encode_fn encode = nullptr;
  nmt_spm_decode_fn decode = nullptr;
  nmt_spm_piece_fn piece = nullptr;
  nmt_spm_train_fn train = nullptr;
};

// Where libnmt_spm.so may be: beside the binary, above it, in ../lib, and
// where the build installed it. NMT_SPM_LIBRARY, when set, is the only one.
std::vector<std::string> shim_candidates() {
  if (const auto given = env::get(env::kSpmLibrary)) return {*given};
  std::vector<std::string> out;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto dir = exe.parent_path();
    for (const auto& p : {dir, dir.parent_path(), dir.parent_path() / "lib"}) {
      out.push_back((p / "libnmt_spm.so").string());
    }
  }
  out.emplace_back(NMT_SPM_SHIM);
  return out;
}

// dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND). AddressSanitizer's
// dlopen refuses RTLD_DEEPBIND, because a library bound deep would find libc's
// malloc before the sanitizer's. Under the sanitizer the shim is built with it
// too, so the runtime is the shim's first dependency and comes first in its
// deep scope; libc's own dlopen is then called, past the interceptor.
void* open_deep(const std::string& path) {
  constexpr int flags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#if defined(__SANITIZE_ADDRESS__)
  using dlopen_fn = void* (*)(const char*, int);
  static const auto libc_dlopen =
      reinterpret_cast<dlopen_fn>(::dlsym(::dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD), "dlopen"));
  return libc_dlopen(path.c_str(), flags);
#else
  return ::dlopen(path.c_str(), flags);
#endif
}

const SpmLibrary& spm() {
  static const SpmLibrary lib = [] {
    const auto given = env::get(env::kSpmLibrary);
    // A library the user named and nmt cannot use is the user's to fix (exit 2).
    const auto fail = [&](const std::string& why) -> SpmLibrary {
      if (given) throw ConfigError(env::assignment(env::kSpmLibrary, *given) + ": " + why);
      throw std::runtime_error(why);
    };
    std::string tried;
    for (const auto& path : shim_candidates()) {
      if (!given && !std::filesystem::exists(path)) continue;
      void* h = open_deep(path);
      if (h == nullptr) {
        const std::string why = ::dlerror();
        const auto colon = why.rfind(": ");  // after the path, which the message names already
        const std::string reason = why.substr(colon == std::string::npos ? 0 : colon + 2);
        if (given) return fail("cannot load it (" + utf8::printable(reason) + ")");
        tried += (tried.empty() ? "" : "; ") + why;
        continue;
      }
      SpmLibrary l;
      bool complete = true;
      auto sym = [&](auto& fn, const char* name) {
        fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(h, name));
        if (fn == nullptr && complete) complete = false, tried = name;
      };
      sym(l.load, "nmt_spm_load");
      sym(l.free, "nmt_spm_free");
      sym(l.size, "nmt_spm_size");
      sym(l.specials, "nmt_spm_specials");
      sym(l.encode, "nmt_spm_encode");
      sym(l.decode, "nmt_spm_decode");
      sym(l.piece, "nmt_spm_piece");
      sym(l.train, "nmt_spm_train");
      if (!complete) return fail("not nmt's SentencePiece library (it lacks " + tried + ")");
      return l;
    }
    return fail("cannot load libnmt_spm.so (SentencePiece)" + (tried.empty() ? "" : ": " + tried) +
                "; set NMT_SPM_LIBRARY to its path");
  }();
  return lib;
}

void append_to_string(void* ctx, const char* data, std::size_t len) {
  static_cast<std::string*>(ctx)->append(data, len);
}

void assign_ids(void* ctx, const int* ids, std::size_t n) {
  static_cast<std::vector<int32_t>*>(ctx)->assign(ids, ids + n);
}

// SentencePiece's own limit on a training sentence (its max_sentence_length,
// in bytes), passed to it explicitly. Longer lines are skipped before they
// reach it: a line over the limit crashed its trainer.
constexpr std::size_t kMaxSentenceBytes = 4192;

// Training sentences: the non-empty lines of several files, validated as they
// are read, without those over kMaxSentenceBytes. An exception cannot cross
// the C boundary, so it is parked and rethrown afterwards.
struct LineSource {
  std::vector<std::string> paths;
  std::size_t next_file = 0;
  std::unique_ptr<LineReader> reader;
  std::string line;
  std::exception_ptr error;
  int64_t too_long = 0;

  static int next(void* ctx, const char** data, std::size_t* len) {
    auto* self = static_cast<LineSource*>(ctx);
    try {
      while (true) {
        if (self->reader && self->reader->next(self->line)) {
          if (self->line.empty()) continue;
          if (self->line.size() > kMaxSentenceBytes) {
            ++self->too_long;
            continue;
          }
          *data = self->line.data();
          *len = self->line.size();
          return 1;
        }
        if (self->next_file == self->paths.size()) return 0;
        self->reader = std::make_unique<LineReader>(self->paths[self->next_file++]);
      }
    } catch (...) {
      self->error = std::current_exception();
      return 0;
    }
  }
};

// SentencePiece's reason for a failure, without the status code, source
// location and condition its messages often begin with
// ("Internal: ./src/x.cc(580) [condition] message"); `fallback` if that is all,
// or if it only says that the file does not parse (0.2's "Internal: could not
// parse ModelProto from PATH", where 0.1 says nothing).
std::string spm_reason(std::string error, const char* fallback) {
  if (error.find("could not parse ModelProto") != std::string::npos) return fallback;
  if (const auto at = error.find(".cc("); at != std::string::npos) {
    const auto end = error.find("] ", at);
    error = end == std::string::npos ? "" : error.substr(end + 2);
  }
  while (!error.empty() && std::isspace(static_cast<unsigned char>(error.back()))) error.pop_back();
  return error.empty() ? fallback : error;
}

}  // namespace

Vocab Vocab::load(const std::string& path) {
  // SentencePiece reads the whole file, whatever it is: /dev/zero would never end.
  require_regular_file(path, "vocabulary");
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) > kMaxVocabFileBytes && !ec) {
    throw DataError("vocabulary '" + path + "' is larger than " + std::to_string(kMaxVocabFileBytes >> 20) +
                    " MiB, more than a SentencePiece model can be");
  }
  const SpmLibrary& lib = spm();
  std::string error;
  nmt_spm* raw = lib.load(path.c_str(), append_to_string, &error);
  if (raw == nullptr) {
    throw DataError("vocabulary '" + path + "' is not a SentencePiece model: " +
                    spm_reason(error, "its contents do not parse (a truncated file, or one of another kind)"));
  }
  Vocab v;
  v.sp_ = std::shared_ptr<const nmt_spm>(raw, [free = lib.free](const nmt_spm* p) { free(const_cast<nmt_spm*>(p)); });
  v.path_ = path;
  int ids[4];
  lib.specials(raw, ids);
  if (ids[0] != kPad || ids[1] != kUnk || ids[2] != kBos || ids[3] != kEos) {
    throw DataError("vocabulary '" + path + "' must use pad=0 unk=1 bos=2 eos=3, has pad=" + std::to_string(ids[0]) +
                    " unk=" + std::to_string(ids[1]) + " bos=" + std::to_string(ids[2]) +
                    " eos=" + std::to_string(ids[3]));
  }
  return v;
}

std::vector<int32_t> Vocab::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  spm().encode(sp_.get(), text.data(), text.size(), assign_ids, &ids);
  return ids;
}

std::string Vocab::decode(const std::vector<int32_t>& ids) const {
  std::vector<int> kept;
  kept.reserve(ids.size());
  for (const int32_t id : ids) {
    if (id > kEos && id < size()) kept.push_back(id);
  }
  std::string out;
  spm().decode(sp_.get(), kept.data(), kept.size(), append_to_string, &out);
  return out;
}

std::vector<std::string> Vocab::pieces(const std::vector<int32_t>& ids) const {
  std::vector<std::string> out(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) spm().piece(sp_.get(), ids[i], append_to_string, &out[i]);
  return out;
}

int64_t Vocab::size() const { return spm().size(sp_.get()); }

std::vector<std::string> vocab_paths(const std::string& model_dir, bool joint) {
  const std::filesystem::path dir(model_dir);
  if (joint) return {(dir / "spm.model").string()};
  return {(dir / "src.model").string(), (dir / "tgt.model").string()};
}

void train_vocab(const std::vector<std::string>& inputs, const VocabConfig& config, const std::string& model_path,
                 int threads) {
  for (const auto& p : inputs) require_readable_file(p, "corpus file");
  const std::vector<std::pair<std::string, std::string>> args = {
      {"model_type", name_of(config.model_type)},
      {"vocab_size", std::to_string(config.size)},
      {"character_coverage", std::to_string(config.character_coverage)},
      {"input_sentence_size", std::to_string(config.max_sentences)},
      {"max_sentence_length", std::to_string(kMaxSentenceBytes)},
      {"max_sentencepiece_length", std::to_string(kMaxPieceChars)},
      {"shuffle_input_sentence", "true"},
      {"pad_id", std::to_string(kPad)},
      {"unk_id", std::to_string(kUnk)},
      {"bos_id", std::to_string(kBos)},
      {"eos_id", std::to_string(kEos)},
      {"num_threads", std::to_string(std::max(1, threads))},
      // Under RTLD_DEEPBIND SentencePiece writes its log to libstdc++'s own
      // std::cerr, which nmt's copy of it (a copy relocation) has taken the place
      // of, uninitialised: a warning there crashes (its "Too many sentences are
      // loaded!" came with every corpus of over a million lines). Failures come
      // back through its status, so only what aborts anyway is left to print.
      {"minloglevel", "3"},
  };
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : args) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  LineSource source{inputs, 0, nullptr, {}, nullptr, 0};
  std::string model, error;
  const int ok = spm().train(keys.data(), values.data(), keys.size(), LineSource::next, &source, /*seed=*/1,
                             append_to_string, &model, append_to_string, &error);
  if (source.error) std::rethrow_exception(source.error);
  if (source.too_long > 0) {
    NMT_INFO("vocab", "{} lines longer than {} bytes were left out of the vocabulary's training", source.too_long,
             kMaxSentenceBytes);
  }
  if (!ok) {
    error = spm_reason(error, "SentencePiece gave no reason");
    if (error.find("Vocabulary size") != std::string::npos || error.find("vocab_size") != std::string::npos) {
      throw ConfigError("config key vocab.size (" + std::to_string(config.size) + ") does not fit this corpus: " +
                        error);
    }
    throw DataError("training the vocabulary on '" + inputs.front() + "' failed: " + error);
  }
  write_file_atomic(model_path, model);
}

namespace {

// A vocabulary in model_dir was built with the vocab section of the
// config.json beside it. A config that now asks for another one is refused:
// silently reusing the old one would leave config.json describing a
// vocabulary the model does not have.
void check_vocab_unchanged(const Config& config, const std::string& vocab) {
  const std::string recorded = config.model_dir + "/config.json";
  if (!std::filesystem::exists(recorded)) return;
  const auto before = nlohmann::json::parse(config_to_json(load_config(recorded))).at("vocab");
  const auto now = nlohmann::json::parse(config_to_json(config)).at("vocab");
  for (const char* key : {"model_type", "size", "joint", "character_coverage", "max_sentences"}) {
    if (before.at(key) == now.at(key)) continue;
    throw ConfigError("config key vocab." + std::string(key) + " is " + now.at(key).dump() + ", but '" + vocab +
                      "' was built with " + before.at(key).dump() + " (" + recorded +
                      "): use another model_dir, or delete the vocabulary to build a new one");
  }
}

}  // namespace

Vocabs prepare_vocabs(const Config& config, int threads) {
  const auto& vc = config.vocab;
  const auto paths = vocab_paths(config.model_dir, vc.joint);
  ensure_dir(config.model_dir);
  const std::vector<std::string> given =
      vc.joint ? std::vector<std::string>{vc.path} : std::vector<std::string>{vc.src_path, vc.tgt_path};
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (!given[i].empty()) {
      if (std::filesystem::absolute(given[i]) != std::filesystem::absolute(paths[i])) {
        Vocab::load(given[i]);  // a file that is no vocabulary is refused, named, before it is copied in
        write_file_atomic(paths[i], read_file(given[i], kMaxVocabFileBytes, "vocabulary"));
      }
      continue;
    }
    if (std::filesystem::exists(paths[i])) {
      check_vocab_unchanged(config, paths[i]);
      NMT_INFO("vocab", "using {}", paths[i]);
      continue;
    }
    if (config.data.train.empty()) {
      throw ConfigError("config key data.train is needed to build the vocabulary (or set vocab.path)");
    }
    if (i == 0) check_parallel(config.data.train);
    std::vector<std::string> inputs;
    if (vc.joint || i == 0) inputs.push_back(config.data.train.src);
    if (vc.joint || i == 1) inputs.push_back(config.data.train.tgt);
    NMT_INFO("vocab", "training a {} {} SentencePiece model of size {} on {}{}",
             vc.joint ? "joint" : (i ? "target" : "source"), name_of(vc.model_type), vc.size, inputs[0],
             inputs.size() > 1 ? " and " + inputs[1] : "");
    train_vocab(inputs, vc, paths[i], threads);
    NMT_INFO("vocab", "wrote {}", paths[i]);
  }
  return load_vocabs(config.model_dir, vc.joint);
}

Vocabs load_vocabs(const std::string& model_dir, bool joint) {
  const auto paths = vocab_paths(model_dir, joint);
  return Vocabs{Vocab::load(paths[0]), Vocab::load(paths.back()), joint};
}

}  // namespace nmt::data
