// C interface of libnmt_spm.so, the shim around SentencePiece.
//
// Why a shim: Debian's libsentencepiece bundles its own protobuf-lite and exports
// those symbols, while LibTorch links the system libprotobuf. Linked into one
// executable the two interpose and the process crashes during static
// initialisation. nmt therefore loads SentencePiece through this shim with
// dlopen(RTLD_LOCAL | RTLD_DEEPBIND), so each library keeps its own protobuf.
// Only C types cross the boundary; errors come back through a sink.
#pragma once

#include <cstddef>

extern "C" {

struct nmt_spm;

/// Receives bytes: a message, a decoded string or a serialized model.
typedef void (*nmt_spm_sink)(void* ctx, const char* data, std::size_t len);
/// Receives ids.
typedef void (*nmt_spm_id_sink)(void* ctx, const int* ids, std::size_t n);
/// Produces the next training sentence; returns 0 at the end.
typedef int (*nmt_spm_source)(void* ctx, const char** data, std::size_t* len);

nmt_spm* nmt_spm_load(const char* path, nmt_spm_sink error, void* error_ctx);
void nmt_spm_free(nmt_spm* sp);
int nmt_spm_size(const nmt_spm* sp);
/// pad, unk, bos, eos
void nmt_spm_specials(const nmt_spm* sp, int out[4]);
void nmt_spm_encode(const nmt_spm* sp, const char* text, std::size_t len, nmt_spm_id_sink out, void* ctx);
void nmt_spm_decode(const nmt_spm* sp, const int* ids, std::size_t n, nmt_spm_sink out, void* ctx);
/// The piece of one id, as the model spells it ("▁" for a space).
void nmt_spm_piece(const nmt_spm* sp, int id, nmt_spm_sink out, void* ctx);
/// Trains on the sentences of `source` with `n` key/value options; the model
/// goes to `model`, and on failure a message to `error`. Returns 1 on success.
int nmt_spm_train(const char* const* keys, const char* const* values, std::size_t n, nmt_spm_source source,
                  void* source_ctx, unsigned seed, nmt_spm_sink model, void* model_ctx, nmt_spm_sink error,
                  void* error_ctx);

typedef nmt_spm* (*nmt_spm_load_fn)(const char*, nmt_spm_sink, void*);
typedef void (*nmt_spm_free_fn)(nmt_spm*);
typedef int (*nmt_spm_size_fn)(const nmt_spm*);
typedef void (*nmt_spm_specials_fn)(const nmt_spm*, int[4]);
typedef void (*nmt_spm_encode_fn)(const nmt_spm*, const char*, std::size_t, nmt_spm_id_sink, void*);
typedef void (*nmt_spm_decode_fn)(const nmt_spm*, const int*, std::size_t, nmt_spm_sink, void*);
typedef void (*nmt_spm_piece_fn)(const nmt_spm*, int, nmt_spm_sink, void*);
typedef int (*nmt_spm_train_fn)(const char* const*, const char* const*, std::size_t, nmt_spm_source, void*, unsigned,
                                nmt_spm_sink, void*, nmt_spm_sink, void*);
}
