// The loops behind nmt/model/fused.h, on contiguous fp32 arrays, free of
// LibTorch so that kernels.cpp can be compiled for speed.
#pragma once

#include <cstdint>

namespace nmt::model::kernel {

/// Rows [0, rows) of gi, gh [rows, 3H] and h [rows, H]: writes h' [rows, H] and
/// the workspace [rows, 4H] = (r, z, n, gh_n) that the backward reads.
void gru_gates_forward(const float* gi, const float* gh, const float* h, float* out, float* workspace,
                       int64_t rows, int64_t hidden);
/// From dL/dh' [rows, H]: dL/dgi and dL/dgh [rows, 3H], dL/dh [rows, H].
void gru_gates_backward(const float* grad, const float* h, const float* workspace, float* d_gi, float* d_gh,
                        float* d_h, int64_t rows, int64_t hidden);

/// Elements [begin, end) of an inverted-dropout mask: 0 where the hash of
/// (seed, index) is below `threshold` (p * 2^32), else `scale`.
void dropout_mask(float* out, int64_t begin, int64_t end, uint64_t seed, uint32_t threshold, float scale);

}  // namespace nmt::model::kernel
