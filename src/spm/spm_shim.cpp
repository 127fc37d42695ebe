// libnmt_spm.so: SentencePiece behind the C interface of spm_api.h.
#include "spm_api.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

struct nmt_spm {
  sentencepiece::SentencePieceProcessor processor;
};

namespace {

// SentencePiece's status: util::Status before 0.2.1, absl::Status after.
using Status = decltype(std::declval<const sentencepiece::SentenceIterator&>().status());

class SourceIterator : public sentencepiece::SentenceIterator {
 public:
  SourceIterator(nmt_spm_source source, void* ctx) : source_(source), ctx_(ctx) { Next(); }
  bool done() const override { return done_; }
  const std::string& value() const override { return value_; }
  Status status() const override { return {}; }
  void Next() override {
    const char* data = nullptr;
    std::size_t len = 0;
    done_ = source_(ctx_, &data, &len) == 0;
    if (!done_) value_.assign(data, len);
  }

 private:
  nmt_spm_source source_;
  void* ctx_;
  std::string value_;
  bool done_ = false;
};

void send(nmt_spm_sink sink, void* ctx, const std::string& s) { sink(ctx, s.data(), s.size()); }

}  // namespace

extern "C" {

nmt_spm* nmt_spm_load(const char* path, nmt_spm_sink error, void* error_ctx) {
  auto* sp = new nmt_spm;
  const auto status = sp->processor.Load(path);
  if (!status.ok()) {
    send(error, error_ctx, status.ToString());
    delete sp;
    return nullptr;
  }
  return sp;
}

void nmt_spm_free(nmt_spm* sp) { delete sp; }

int nmt_spm_size(const nmt_spm* sp) { return sp->processor.GetPieceSize(); }

void nmt_spm_specials(const nmt_spm* sp, int out[4]) {
  out[0] = sp->processor.pad_id();
  out[1] = sp->processor.unk_id();
  out[2] = sp->processor.bos_id();
  out[3] = sp->processor.eos_id();
}

void nmt_spm_encode(const nmt_spm* sp, const char* text, std::size_t len, nmt_spm_id_sink out, void* ctx) {
  std::vector<int> ids;
  if (!sp->processor.Encode(absl::string_view(text, len), &ids).ok()) ids.clear();  // fails only on an unloaded model
  out(ctx, ids.data(), ids.size());
}

void nmt_spm_piece(const nmt_spm* sp, int id, nmt_spm_sink out, void* ctx) { send(out, ctx, sp->processor.IdToPiece(id)); }

void nmt_spm_decode(const nmt_spm* sp, const int* ids, std::size_t n, nmt_spm_sink out, void* ctx) {
  std::string text;
  // The vector overload every version has; 0.2.1 deprecates it for a span that 0.1 lacks.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  if (!sp->processor.Decode(std::vector<int>(ids, ids + n), &text).ok()) text.clear();  // as Encode
#pragma GCC diagnostic pop
  send(out, ctx, text);
}

int nmt_spm_train(const char* const* keys, const char* const* values, std::size_t n, nmt_spm_source source,
                  void* source_ctx, unsigned seed, nmt_spm_sink model, void* model_ctx, nmt_spm_sink error,
                  void* error_ctx) {
  std::unordered_map<std::string, std::string> args;
  for (std::size_t i = 0; i < n; ++i) args[keys[i]] = values[i];
  sentencepiece::SetRandomGeneratorSeed(seed);
  SourceIterator it(source, source_ctx);
  std::string serialized;
  const auto status = sentencepiece::SentencePieceTrainer::Train(args, &it, &serialized);
  if (!status.ok()) {
    send(error, error_ctx, status.ToString());
    return 0;
  }
  send(model, model_ctx, serialized);
  return 1;
}

}  // extern "C"
