// The loops behind nmt/model/fused.h. This file is compiled with -O3
// -ffast-math and without LibTorch's headers, so that GCC vectorizes expf and
// tanhf through glibc's libmvec; each function is cloned for AVX-512, AVX2 and
// the baseline and picked at load time.
#include "model/kernels.h"

#include <cmath>

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define NMT_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NMT_SIMD_CLONES
#endif

namespace nmt::model::kernel {

NMT_SIMD_CLONES
void gru_gates_forward(const float* gi, const float* gh, const float* h, float* out, float* workspace,
                       int64_t rows, int64_t hidden) {
  const int64_t H = hidden;
  for (int64_t b = 0; b < rows; ++b) {
    const float* i_r = gi + b * 3 * H;
    const float* i_z = i_r + H;
    const float* i_n = i_z + H;
    const float* h_r = gh + b * 3 * H;
    const float* h_z = h_r + H;
    const float* h_n = h_z + H;
    const float* hb = h + b * H;
    float* r = workspace + b * 4 * H;
    float* z = r + H;
    float* n = z + H;
    float* saved_h_n = n + H;
    float* o = out + b * H;
    for (int64_t j = 0; j < H; ++j) r[j] = 1.0f / (1.0f + std::exp(-(i_r[j] + h_r[j])));
    for (int64_t j = 0; j < H; ++j) z[j] = 1.0f / (1.0f + std::exp(-(i_z[j] + h_z[j])));
    for (int64_t j = 0; j < H; ++j) n[j] = std::tanh(i_n[j] + r[j] * h_n[j]);
    for (int64_t j = 0; j < H; ++j) {
      saved_h_n[j] = h_n[j];
      o[j] = n[j] + z[j] * (hb[j] - n[j]);
    }
  }
}

NMT_SIMD_CLONES
void gru_gates_backward(const float* grad, const float* h, const float* workspace, float* d_gi, float* d_gh,
                        float* d_h, int64_t rows, int64_t hidden) {
  const int64_t H = hidden;
  for (int64_t b = 0; b < rows; ++b) {
    const float* g = grad + b * H;
    const float* hb = h + b * H;
    const float* r = workspace + b * 4 * H;
    const float* z = r + H;
    const float* n = z + H;
    const float* h_n = n + H;
    float* di_r = d_gi + b * 3 * H;
    float* di_z = di_r + H;
    float* di_n = di_z + H;
    float* dh_r = d_gh + b * 3 * H;
    float* dh_z = dh_r + H;
    float* dh_n = dh_z + H;
    float* dh = d_h + b * H;
    for (int64_t j = 0; j < H; ++j) {
      const float dn = g[j] * (1.0f - z[j]) * (1.0f - n[j] * n[j]);  // through tanh
      const float dz = g[j] * (hb[j] - n[j]) * z[j] * (1.0f - z[j]);  // through sigmoid
      const float dr = dn * h_n[j] * r[j] * (1.0f - r[j]);
      di_r[j] = dh_r[j] = dr;
      di_z[j] = dh_z[j] = dz;
      di_n[j] = dn;
      dh_n[j] = dn * r[j];
      dh[j] = g[j] * z[j];
    }
  }
}

namespace {

// MurmurHash3's 32-bit finalizer: every input bit flips each output bit with
// probability close to 1/2.
inline uint32_t mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}

}  // namespace

NMT_SIMD_CLONES
void dropout_mask(float* out, int64_t begin, int64_t end, uint64_t seed, uint32_t threshold, float scale) {
  const auto k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int64_t i = begin; i < end; ++i) {
    const auto index = static_cast<uint64_t>(i);
    const uint32_t h = mix(mix(static_cast<uint32_t>(index) * 0x9e3779b1u + k0) ^ (static_cast<uint32_t>(index >> 32) + k1));
    out[i - begin] = h < threshold ? 0.0f : scale;
  }
}

}  // namespace nmt::model::kernel
