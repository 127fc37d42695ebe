// The loops behind nmt/model/fused.h. This file is compiled with -O3
// -ffast-math and without LibTorch's headers, so that GCC vectorizes expf and
// tanhf through glibc's libmvec. Each loop is written once, as an inline body,
// and compiled three times, for AVX-512, AVX2 and the baseline, by the
// NMT_KERNELS wrappers at the end; kernels(isa) hands out one set.
#include "model/kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#define NMT_INLINE inline __attribute__((always_inline))

namespace nmt::model::kernel {
namespace {

NMT_INLINE void gru_forward_body(const float* gi, const float* gh, const float* h, float* out, float* workspace,
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

NMT_INLINE void gru_backward_body(const float* grad, const float* h, const float* workspace, float* d_gi, float* d_gh,
                                  float* d_h, int64_t rows, int64_t hidden) {
  const int64_t H = hidden;
  // Distinct arrays: without GCC gives up checking eleven pointers for overlap.
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

// The mask of element `index`: 0 or `scale`.
NMT_INLINE float keep(uint64_t index, uint32_t k0, uint32_t k1, uint32_t threshold, float scale) {
  const uint32_t h = mix(mix(static_cast<uint32_t>(index) * 0x9e3779b1u + k0) ^ (static_cast<uint32_t>(index >> 32) + k1));
  return h < threshold ? 0.0f : scale;
}

NMT_INLINE void dropout_forward_body(const float* x, float* out, int64_t begin, int64_t end, uint64_t seed,
                                     uint32_t threshold, float scale, bool relu) {
  const auto k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  const int64_t n = end - begin;
  if (relu) {
    for (int64_t i = 0; i < n; ++i) out[i] = std::max(x[i], 0.0f) * keep(begin + i, k0, k1, threshold, scale);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] * keep(begin + i, k0, k1, threshold, scale);
  }
}

NMT_INLINE void dropout_backward_body(const float* grad, const float* relu_input, float* d_x, int64_t begin,
                                      int64_t end, uint64_t seed, uint32_t threshold, float scale) {
  const auto k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  const int64_t n = end - begin;
  if (relu_input != nullptr) {
    for (int64_t i = 0; i < n; ++i) {
      d_x[i] = relu_input[i] > 0.0f ? grad[i] * keep(begin + i, k0, k1, threshold, scale) : 0.0f;
    }
  } else {
    for (int64_t i = 0; i < n; ++i) d_x[i] = grad[i] * keep(begin + i, k0, k1, threshold, scale);
  }
}

NMT_INLINE void quantize_body(const float* x, int8_t* q, float* scale, int64_t rows, int64_t cols, float qmax) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    int8_t* qr = q + r * cols;
    float amax = 0.0f;
    for (int64_t c = 0; c < cols; ++c) amax = std::max(amax, std::fabs(xr[c]));
    const float s = amax > 0.0f ? amax / qmax : 1.0f;
    const float inv = 1.0f / s;
    for (int64_t c = 0; c < cols; ++c) {
      const float v = xr[c] * inv;
      qr[c] = static_cast<int8_t>(static_cast<int32_t>(v + (v >= 0.0f ? 0.5f : -0.5f)));
    }
    scale[r] = s;
  }
}

NMT_INLINE void dequantize_body(const int32_t* acc, const float* row_scale, const float* col_scale, const float* bias,
                                float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t* a = acc + r * cols;
    float* yr = y + r * cols;
    const float s = row_scale[r];
    if (bias != nullptr) {
      for (int64_t c = 0; c < cols; ++c) yr[c] = static_cast<float>(a[c]) * (s * col_scale[c]) + bias[c];
    } else {
      for (int64_t c = 0; c < cols; ++c) yr[c] = static_cast<float>(a[c]) * (s * col_scale[c]);
    }
  }
}

NMT_INLINE void attention_body(const AttentionProblem& p, int64_t begin, int64_t end) {
  std::vector<float> weights(static_cast<std::size_t>(p.tk));
  float* w = weights.data();
  const int64_t dh = p.dh;
  for (int64_t bh = begin; bh < end; ++bh) {
    const int64_t b = bh / p.heads, h = bh % p.heads;
    const float* qb = p.q + b * p.q_stride[0] + h * p.q_stride[1];
    const float* kb = p.k + b * p.k_stride[0] + h * p.k_stride[1];
    const float* vb = p.v + b * p.v_stride[0] + h * p.v_stride[1];
    float* ob = p.out + b * p.out_stride[0] + h * p.out_stride[1];
    const bool* allowed = p.key_allowed == nullptr ? nullptr : p.key_allowed + b * p.mask_stride;
    for (int64_t i = 0; i < p.tq; ++i) {
      const float* qi = qb + i * p.q_stride[2];
      float* oi = ob + i * p.out_stride[2];
      const int64_t visible = p.causal ? std::min(p.tk, i + p.tk - p.tq + 1) : p.tk;
      float top = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < visible; ++j) {
        if (allowed != nullptr && !allowed[j]) {
          w[j] = -std::numeric_limits<float>::infinity();
          continue;
        }
        const float* kj = kb + j * p.k_stride[2];
        float dot = 0.0f;
        for (int64_t d = 0; d < dh; ++d) dot += qi[d] * kj[d];
        w[j] = dot * p.scale;
        top = std::max(top, w[j]);
      }
      for (int64_t d = 0; d < dh; ++d) oi[d] = 0.0f;
      if (top == -std::numeric_limits<float>::infinity()) continue;  // no key to see
      float sum = 0.0f;
      for (int64_t j = 0; j < visible; ++j) {
        w[j] = std::exp(w[j] - top);
        sum += w[j];
      }
      const float inv = 1.0f / sum;
      for (int64_t j = 0; j < visible; ++j) {
        const float wj = w[j] * inv;
        if (wj == 0.0f) continue;
        const float* vj = vb + j * p.v_stride[2];
        for (int64_t d = 0; d < dh; ++d) oi[d] += wj * vj[d];
      }
    }
  }
}

NMT_INLINE void additive_forward_body(const float* keys, const float* query, const float* v, float* scores,
                                      int64_t rows, int64_t len, int64_t dim) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* q = query + r * dim;
    for (int64_t s = 0; s < len; ++s) {
      const float* k = keys + (r * len + s) * dim;
      float acc = 0.0f;
      for (int64_t a = 0; a < dim; ++a) acc += v[a] * std::tanh(k[a] + q[a]);
      scores[r * len + s] = acc;
    }
  }
}

NMT_INLINE void additive_backward_body(const float* grad, const float* keys, const float* query, const float* v,
                                       float* d_keys, float* d_query, float* d_v_rows, int64_t rows, int64_t len,
                                       int64_t dim) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict q = query + r * dim;
    float* __restrict dq = d_query + r * dim;
    float* __restrict dv = d_v_rows + r * dim;
    for (int64_t a = 0; a < dim; ++a) dq[a] = dv[a] = 0.0f;
    for (int64_t s = 0; s < len; ++s) {
      const float g = grad[r * len + s];
      const float* __restrict k = keys + (r * len + s) * dim;
      float* __restrict dk = d_keys + (r * len + s) * dim;
      // Two loops, each of which GCC vectorizes: tanh (through libmvec), then the products.
      for (int64_t a = 0; a < dim; ++a) dk[a] = std::tanh(k[a] + q[a]);
      for (int64_t a = 0; a < dim; ++a) {
        const float t = dk[a];
        const float d = g * v[a] * (1.0f - t * t);
        dv[a] += g * t;
        dq[a] += d;
        dk[a] = d;
      }
    }
  }
}

NMT_INLINE void cross_entropy_forward_body(const float* logits, const int64_t* targets, float* lse, float* nll,
                                           float* loss, int64_t rows, int64_t vocab, int64_t pad, float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = logits + r * vocab;
    float top = x[0];  // not -inf: this file is built with -ffast-math
    for (int64_t v = 1; v < vocab; ++v) top = x[v] > top ? x[v] : top;
    float sum = 0.0f, total = 0.0f;
    for (int64_t v = 0; v < vocab; ++v) {
      sum += std::exp(x[v] - top);
      total += x[v];
    }
    const float l = top + std::log(sum);
    lse[r] = l;
    if (targets[r] == pad) {
      nll[r] = loss[r] = 0.0f;
      continue;
    }
    nll[r] = l - x[targets[r]];
    loss[r] = (1.0f - eps) * nll[r] + eps * (l - total / static_cast<float>(vocab));
  }
}

NMT_INLINE void cross_entropy_backward_body(float* logits, const int64_t* targets, const float* lse,
                                            const float* scale, int64_t rows, int64_t vocab, int64_t pad, float eps) {
  const float uniform = eps / static_cast<float>(vocab);
  for (int64_t r = 0; r < rows; ++r) {
    float* g = logits + r * vocab;
    if (targets[r] == pad) {
      for (int64_t v = 0; v < vocab; ++v) g[v] = 0.0f;
      continue;
    }
    const float s = scale[r], l = lse[r];
    for (int64_t v = 0; v < vocab; ++v) g[v] = s * (std::exp(g[v] - l) - uniform);
    g[targets[r]] -= s * (1.0f - eps);
  }
}

NMT_INLINE void adam_body(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v,
                          int64_t n, const AdamStep& s) {
  const float beta1 = s.beta1, beta2 = s.beta2, a1 = s.one_minus_beta1, a2 = s.one_minus_beta2;
  const float step = s.neg_step_size, correction = s.sqrt_bias_correction2, eps = s.eps, decay = s.weight_decay;
  for (int64_t i = 0; i < n; ++i) {
    const float grad = g[i] + decay * p[i];
    const float mi = m[i] * beta1 + a1 * grad;
    const float vi = v[i] * beta2 + a2 * grad * grad;
    m[i] = mi;
    v[i] = vi;
    p[i] += step * mi / (std::sqrt(vi) / correction + eps);
  }
}

// One copy of every body per instruction set. GCC inlines a body into a
// wrapper of a wider target, and vectorizes it (libmvec's expf and tanhf
// included) for that target.
#define NMT_KERNELS(suffix, target)                                                                               \
  target void gru_forward_##suffix(const float* gi, const float* gh, const float* h, float* out, float* ws,     \
                                   int64_t rows, int64_t hidden) {                                               \
    gru_forward_body(gi, gh, h, out, ws, rows, hidden);                                                          \
  }                                                                                                              \
  target void gru_backward_##suffix(const float* grad, const float* h, const float* ws, float* d_gi, float* d_gh, \
                                    float* d_h, int64_t rows, int64_t hidden) {                                  \
    gru_backward_body(grad, h, ws, d_gi, d_gh, d_h, rows, hidden);                                               \
  }                                                                                                              \
  target void dropout_forward_##suffix(const float* x, float* out, int64_t begin, int64_t end, uint64_t seed,   \
                                       uint32_t threshold, float scale, bool relu) {                             \
    dropout_forward_body(x, out, begin, end, seed, threshold, scale, relu);                                      \
  }                                                                                                              \
  target void dropout_backward_##suffix(const float* grad, const float* relu_input, float* d_x, int64_t begin,  \
                                        int64_t end, uint64_t seed, uint32_t threshold, float scale) {           \
    dropout_backward_body(grad, relu_input, d_x, begin, end, seed, threshold, scale);                            \
  }                                                                                                              \
  target void quantize_##suffix(const float* x, int8_t* q, float* scale, int64_t rows, int64_t cols, float qmax) { \
    quantize_body(x, q, scale, rows, cols, qmax);                                                                \
  }                                                                                                              \
  target void dequantize_##suffix(const int32_t* acc, const float* row_scale, const float* col_scale,           \
                                  const float* bias, float* y, int64_t rows, int64_t cols) {                     \
    dequantize_body(acc, row_scale, col_scale, bias, y, rows, cols);                                             \
  }                                                                                                              \
  target void attention_##suffix(const AttentionProblem& p, int64_t begin, int64_t end) {                        \
    attention_body(p, begin, end);                                                                               \
  }                                                                                                              \
  target void additive_forward_##suffix(const float* keys, const float* query, const float* v, float* scores,   \
                                        int64_t rows, int64_t len, int64_t dim) {                                \
    additive_forward_body(keys, query, v, scores, rows, len, dim);                                               \
  }                                                                                                              \
  target void additive_backward_##suffix(const float* grad, const float* keys, const float* query, const float* v, \
                                         float* d_keys, float* d_query, float* d_v_rows, int64_t rows,          \
                                         int64_t len, int64_t dim) {                                             \
    additive_backward_body(grad, keys, query, v, d_keys, d_query, d_v_rows, rows, len, dim);                     \
  }                                                                                                              \
  target void cross_entropy_forward_##suffix(const float* logits, const int64_t* targets, float* lse, float* nll, \
                                             float* loss, int64_t rows, int64_t vocab, int64_t pad, float eps) { \
    cross_entropy_forward_body(logits, targets, lse, nll, loss, rows, vocab, pad, eps);                          \
  }                                                                                                              \
  target void cross_entropy_backward_##suffix(float* logits, const int64_t* targets, const float* lse,          \
                                              const float* scale, int64_t rows, int64_t vocab, int64_t pad,     \
                                              float eps) {                                                       \
    cross_entropy_backward_body(logits, targets, lse, scale, rows, vocab, pad, eps);                             \
  }                                                                                                              \
  target void adam_##suffix(float* p, const float* g, float* m, float* v, int64_t n, const AdamStep& step) {    \
    adam_body(p, g, m, v, n, step);                                                                              \
  }                                                                                                              \
  constexpr Kernels kernels_##suffix{gru_forward_##suffix,          gru_backward_##suffix,                      \
                                     dropout_forward_##suffix,      dropout_backward_##suffix,                  \
                                     quantize_##suffix,                                                         \
                                     dequantize_##suffix,           attention_##suffix,                         \
                                     additive_forward_##suffix,     additive_backward_##suffix,                 \
                                     cross_entropy_forward_##suffix, cross_entropy_backward_##suffix,          \
                                     adam_##suffix};

NMT_KERNELS(baseline, )
#if defined(__GNUC__) && defined(__x86_64__)
NMT_KERNELS(avx2, __attribute__((target("avx2,fma"))))
NMT_KERNELS(avx512, __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))))
#else
constexpr const Kernels& kernels_avx2 = kernels_baseline;
constexpr const Kernels& kernels_avx512 = kernels_baseline;
#endif

}  // namespace

const Kernels& kernels(Isa isa) {
  switch (isa) {
    case Isa::avx512: return kernels_avx512;
    case Isa::avx2: return kernels_avx2;
    case Isa::baseline: break;
  }
  return kernels_baseline;
}

}  // namespace nmt::model::kernel
