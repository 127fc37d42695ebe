// Elementwise work that LibTorch's CPU build spreads over many kernels, or runs
// on one thread, done in one parallel pass over memory.
//
// The gate arithmetic of a GRU cell (PyTorch's GRU convention, the r, z, n
// blocks of gi = W_ih x + b_ih and gh = W_hh h + b_hh):
//
//   r = sigmoid(gi_r + gh_r)   z = sigmoid(gi_z + gh_z)
//   n = tanh(gi_n + r * gh_n)  h' = (1 - z) * n + z * h
//
// LibTorch's CPU GRU cell runs this as a dozen elementwise kernels forward and
// twice that backward, each a pass over memory and an allocation; here forward
// and backward are one loop each. The matrix products stay outside, so callers
// can batch the input projection over all steps.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace nmt::model {

/// Whether LibTorch's autocast is on (CPU or CUDA) in this thread
/// (training.precision bf16, fp16): the functions below then leave every
/// product to ATen, whose operators autocast casts.
bool autocast_active();

/// x W^T + b, as torch::nn::functional::linear (x [..., K], W [N, K], b
/// broadcastable to the output [..., N], or undefined), differentiable in all
/// three. On the CPU in fp32 the forward product and backward's two run
/// through the sgemm gemm_for picks for each. Without autograd while
/// nmt/model/int8.h is on: int8. Elsewhere: LibTorch's linear.
torch::Tensor affine(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b = {});

/// The same through a torch::nn::Linear's weight and bias.
torch::Tensor affine(const torch::Tensor& x, const torch::nn::LinearImpl& layer);

/// A weight applied once per time step of a recurrence (x_t W^T for t = 1..T),
/// whose gradient is formed once, after backward has passed every step: one
/// product [N, T*B] x [T*B, K] where autograd would run T products of B rows
/// and add their results T - 1 times (and, for a slice of a larger weight,
/// scatter each into zeros of the whole). Use it for one forward and one
/// backward (no retain_graph); outside autograd, or under autocast, it is plain affine().
class StepWeight {
 public:
  explicit StepWeight(const torch::Tensor& w);
  /// x [B, K] -> x W^T [B, N], differentiable in x and, deferred, in W.
  torch::Tensor operator()(const torch::Tensor& x) const;

 private:
  torch::Tensor w_;      // the weight as given
  torch::Tensor alias_;  // its stand-in in the steps' graphs, whose gradient is formed at the end
  c10::intrusive_ptr<torch::CustomClassHolder> steps_;  // what the steps' backward passes leave for it
};

/// A row-major C = alpha op(A) op(B) + beta C, op being 'N' or 'T', as
/// oneDNN's dnnl_sgemm takes it; returns 0 on success.
using Sgemm = int (*)(char transa, char transb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                      int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

/// oneDNN's sgemm (Debian's LibTorch links libdnnl.so.2), or nullptr where it
/// is not visible or NMT_GEMM=libtorch (nmt/common/isa.h).
Sgemm onednn_sgemm();

/// OpenBLAS's, through its CBLAS interface, or nullptr where the BLAS behind
/// LibTorch is not OpenBLAS or NMT_GEMM is not auto.
Sgemm openblas_sgemm();

/// The sgemm that runs a layer's product op(A) op(B) on the CPU (nullptr:
/// LibTorch's). oneDNN's, except that where oneDNN runs AVX2 kernels (not
/// AVX-512) the weight gradients (transa 'T': dW = dy^T x, a reduction over a
/// batch's rows) go to OpenBLAS, which ran them at 1.1-2.2 times oneDNN's rate
/// on an AVX2 host, 2 times on the feed-forward layers' (docs/benchmarks.md;
/// build/bench/gemm_shapes measures every product). On an AVX-512 CPU
/// oneDNN's kernels run at twice OpenBLAS's AVX2 ones.
Sgemm gemm_for(char transa);

/// a [B, H, M, K] @ b [B, H, K, N] -> [B, H, M, N], as torch::matmul,
/// differentiable in both. On the CPU in fp32 with oneDNN's sgemm visible, each
/// of the B x H products is one sgemm call on the matrices in place (transposed
/// views included), spread across threads: LibTorch's CPU bmm runs a select, an
/// as_strided and a resolve_conj per matrix (133k operations per Transformer
/// training step, scripts/profile.py), which cost more than the products.
torch::Tensor batched_matmul(const torch::Tensor& a, const torch::Tensor& b);

/// Scaled dot-product attention without autograd: q [B, H, Tq, Dh], k and v
/// [B, H, Tk, Dh], key_mask [B, Tk] bool (true: may attend) or undefined ->
/// [B, H, Tq, Dh], in one pass per (sentence, head) that never forms the
/// [Tq, Tk] scores in memory: for search, whose products of one query with a
/// few keys cost LibTorch's batched GEMM more in packing than in arithmetic.
/// fp32 on the CPU only; a query that may see no key gets zeros.
torch::Tensor attention_inference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  const torch::Tensor& key_mask, bool causal);

/// gi, gh [B, 3H] and h [B, H] -> h' [B, H], differentiable in all three.
/// fp32 on the CPU runs the fused loops; CUDA runs LibTorch's fused GRU kernel;
/// other types run the formula above as tensor operations.
torch::Tensor gru_gates(const torch::Tensor& gi, const torch::Tensor& gh, const torch::Tensor& h);

/// The same as tensor operations, the reference the fused paths are tested against.
torch::Tensor gru_gates_reference(const torch::Tensor& gi, const torch::Tensor& gh, const torch::Tensor& h);

/// Additive attention's energies (Bahdanau et al. 2014, A.1.2): keys [B, S,
/// A] (U_a h_j), query [B, A] (W_a s_{i-1}) and v [1, A] (v_a) -> [B, S] =
/// v_a tanh(keys + query), differentiable in all three. fp32 on the CPU runs
/// one loop forward and one backward, which recomputes the tanh rather than
/// keep the [B, S, A] sum and its tanh per decoder step (LibTorch's operations
/// make six passes over that much memory per step); elsewhere: the reference.
torch::Tensor additive_scores(const torch::Tensor& keys, const torch::Tensor& query, const torch::Tensor& v);

/// The same as tensor operations.
torch::Tensor additive_scores_reference(const torch::Tensor& keys, const torch::Tensor& query, const torch::Tensor& v);

/// Inverted dropout: zeroes each element with probability p and scales the rest
/// by 1 / (1 - p); the identity unless `train`. On the CPU in fp32 the mask
/// comes from a counter-based hash of a seed drawn from LibTorch's default
/// generator and the element's index, in parallel (LibTorch's CPU bernoulli_
/// draws one number at a time on one thread), so it is reproducible under
/// torch::manual_seed whatever the thread count; backward recomputes the mask
/// from the seed rather than keep it. Elsewhere: torch::dropout.
torch::Tensor dropout(const torch::Tensor& x, double p, bool train);

/// dropout(relu(x), p, train), in one pass each way on the CPU in fp32.
torch::Tensor relu_dropout(const torch::Tensor& x, double p, bool train);

/// torch::nn::Dropout with the dropout above.
class DropoutImpl : public torch::nn::Module {
 public:
  explicit DropoutImpl(double p) : p_(p) {}
  torch::Tensor forward(const torch::Tensor& x) { return model::dropout(x, p_, is_training()); }
  torch::Tensor forward_relu(const torch::Tensor& x) { return model::relu_dropout(x, p_, is_training()); }

 private:
  double p_;
};
TORCH_MODULE(Dropout);

}  // namespace nmt::model
