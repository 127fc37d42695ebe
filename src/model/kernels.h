// The loops behind nmt/model/fused.h, on contiguous fp32 arrays, free of
// LibTorch so that kernels.cpp can be compiled for speed.
#pragma once

#include <algorithm>
#include <cstdint>

#include "nmt/common/isa.h"

namespace nmt::model::kernel {

/// Scaled dot-product attention of q [B, H, Tq, Dh] over k, v [B, H, Tk, Dh]
/// (each with its own strides over b, h and t; d contiguous) into out, with
/// an optional key mask [B, Tk] (true: may attend) and causal masking (query
/// i sees keys j <= i + Tk - Tq). A query that may see no key gets zeros.
struct AttentionProblem {
  const float *q, *k, *v;
  float* out;
  const bool* key_allowed;  // nullptr: every key
  int64_t heads, tq, tk, dh;
  int64_t q_stride[3], k_stride[3], v_stride[3], out_stride[3], mask_stride;  // over b, h, t; mask over b
  bool causal;
  float scale;
};

/// One step of Adam (torch.optim.Adam's, without amsgrad), with g' = g +
/// weight_decay p: m = beta1 m + one_minus_beta1 g'; v = beta2 v +
/// one_minus_beta2 g'^2; p += neg_step_size m / (sqrt(v) / sqrt_bias_correction2 + eps).
struct AdamStep {
  float beta1, one_minus_beta1, beta2, one_minus_beta2, neg_step_size, sqrt_bias_correction2, eps, weight_decay;
};

/// One instruction set's build of each loop.
struct Kernels {
  /// Rows [0, rows) of gi, gh [rows, 3H] and h [rows, H]: writes h' [rows, H]
  /// and the workspace [rows, 4H] = (r, z, n, gh_n) that the backward reads.
  void (*gru_gates_forward)(const float* gi, const float* gh, const float* h, float* out, float* workspace,
                            int64_t rows, int64_t hidden);
  /// From dL/dh' [rows, H]: dL/dgi and dL/dgh [rows, 3H], dL/dh [rows, H].
  void (*gru_gates_backward)(const float* grad, const float* h, const float* workspace, float* d_gi, float* d_gh,
                             float* d_h, int64_t rows, int64_t hidden);
  /// Elements [begin, end) of inverted dropout, out = x * mask, where the mask
  /// is 0 where the hash of (seed, index) is below `threshold` (p * 2^32),
  /// else `scale`; with `relu`, out = max(x, 0) * mask. x and out point at
  /// element `begin`.
  void (*dropout_forward)(const float* x, float* out, int64_t begin, int64_t end, uint64_t seed, uint32_t threshold,
                          float scale, bool relu);
  /// Its gradient: d_x = grad * mask, and 0 where relu_input <= 0 when that is
  /// given (the input of the relu above; nullptr: no relu).
  void (*dropout_backward)(const float* grad, const float* relu_input, float* d_x, int64_t begin, int64_t end,
                           uint64_t seed, uint32_t threshold, float scale);
  /// Rows [0, rows) of x [rows, cols] to int8, symmetric per row: scale[r] =
  /// max |x_r| / qmax (1 for a row of zeros), q = round(x / scale[r]).
  void (*quantize_rows)(const float* x, int8_t* q, float* scale, int64_t rows, int64_t cols, float qmax);
  /// y [rows, cols] = acc * row_scale[r] * col_scale[c] + bias[c] (no bias: nullptr).
  void (*dequantize)(const int32_t* acc, const float* row_scale, const float* col_scale, const float* bias, float* y,
                     int64_t rows, int64_t cols);
  /// The (b, h) pairs [begin, end), numbered b * heads + h, of an attention problem.
  void (*attention)(const AttentionProblem& p, int64_t begin, int64_t end);
  /// Additive attention's energies for rows [0, rows) of keys [rows, len, dim]
  /// and query [rows, dim]: scores[r, s] = sum_a v[a] tanh(keys[r, s, a] + query[r, a]).
  void (*additive_scores_forward)(const float* keys, const float* query, const float* v, float* scores, int64_t rows,
                                  int64_t len, int64_t dim);
  /// From dL/dscores [rows, len]: dL/dkeys [rows, len, dim], dL/dquery [rows,
  /// dim] and each row's share of dL/dv [rows, dim], recomputing the tanh.
  void (*additive_scores_backward)(const float* grad, const float* keys, const float* query, const float* v,
                                   float* d_keys, float* d_query, float* d_v_rows, int64_t rows, int64_t len,
                                   int64_t dim);
  /// Label-smoothed cross-entropy of rows [0, rows) of logits [rows, vocab]:
  /// lse[r] = log sum_v exp(logits[r, v]); nll[r] = lse[r] - logits[r, target];
  /// loss[r] = (1 - eps) nll[r] + eps (lse[r] - mean_v logits[r, v]); a row
  /// whose target is `pad` gets 0 in nll and loss.
  void (*cross_entropy_forward)(const float* logits, const int64_t* targets, float* lse, float* nll, float* loss,
                                int64_t rows, int64_t vocab, int64_t pad, float eps);
  /// Its gradient, scaled per row, in place of the logits: scale[r]
  /// (softmax[r, v] - eps / vocab - (1 - eps) [v = target]), zero where the
  /// target is `pad`.
  void (*cross_entropy_backward)(float* logits, const int64_t* targets, const float* lse, const float* scale,
                                 int64_t rows, int64_t vocab, int64_t pad, float eps);
  /// Elements [0, n) of a parameter p, its gradient g and Adam's averages m, v.
  void (*adam)(float* p, const float* g, float* m, float* v, int64_t n, const AdamStep& step);
};

/// Items per parallel task when each item is `work` elements: enough that a
/// thread's share outweighs waking it.
inline int64_t grain(int64_t work) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, work)); }

/// The build for `isa` (the baseline's where the compiler has no other).
const Kernels& kernels(Isa isa);

}  // namespace nmt::model::kernel
