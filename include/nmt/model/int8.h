// Dynamic int8 inference on the CPU: while it is on, every model::affine()
// run without autograd on fp32 CPU tensors multiplies int8 weights (quantized
// once, per output row, symmetric) by int8 activations (quantized at each call,
// per tensor) through LibTorch's quantized engines, and returns fp32. The
// attention products, softmax and the rest stay fp32, as do the fp32 weights,
// which embeddings and training still read.
#pragma once

#include <cstdint>
#include <string>

#include <torch/types.h>

namespace nmt::model::int8 {

/// Turns int8 on for this process. Where LibTorch's oneDNN is visible
/// (Debian's links libdnnl.so.2), its int8 gemm is called directly, with the
/// activations quantized per row in one pass and scaled back in another:
/// LibTorch's quantized linear costs more per call than it saves on the small
/// products of decoding (docs/benchmarks.md). Elsewhere, or with
/// `through_libtorch`, LibTorch's quantized engines run it: oneDNN's where it
/// has it (x86; Debian's build has no fbgemm), else QNNPACK's (Arm). Throws
/// std::runtime_error where there is none of these.
void enable(bool through_libtorch = false);
/// Back to fp32 (for tests); forgets the packed weights.
void disable();
bool enabled();

/// "onednn-gemm", "onednn" or "qnnpack" once enabled, else "".
std::string engine();

/// Bytes of the int8 weights packed and held now (each weight is packed at its
/// first use; one that nothing else holds any more is let go at the next packing).
int64_t packed_bytes();

/// x W^T + b through the engine: x [..., K], W [N, K], b [N], [..., N] or undefined.
torch::Tensor affine(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b);

}  // namespace nmt::model::int8
