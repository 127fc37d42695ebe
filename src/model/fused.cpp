#include "nmt/model/fused.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <ATen/record_function.h>
#include <torch/version.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "model/kernels.h"
#include "nmt/common/error.h"
#include "nmt/common/isa.h"
#include "nmt/common/threads.h"
#include "nmt/model/int8.h"

namespace nmt::model {
namespace {

// What oneDNN's sgemm and nmt's loops take: an fp32 strided CPU tensor (or none),
// outside autocast (whose casts only ATen's own operators make).
bool fp32_cpu(const torch::Tensor& t) {
  if (autocast_active()) return false;
  return !t.defined() || (t.is_cpu() && t.scalar_type() == torch::kFloat && t.layout() == torch::kStrided);
}

// A pointer's view of a tensor, as oneDNN's sgemm takes it.
float* data(const torch::Tensor& t) { return t.data_ptr<float>(); }

// The distance between a row-major matrix's rows (a single row's stride is
// arbitrary in a contiguous tensor).
int64_t ld(const torch::Tensor& t) { return t.size(0) <= 1 ? t.size(1) : t.stride(0); }

// y [m, n] = op(a) op(b) + beta y, row-major, through the sgemm gemm_for picks.
void sgemm(char ta, char tb, int64_t m, int64_t n, int64_t k, const torch::Tensor& a, const torch::Tensor& b,
           float beta, const torch::Tensor& y) {
  const int status = gemm_for(ta)(ta, tb, m, n, k, 1.0f, data(a), ld(a), data(b), ld(b), beta, data(y), ld(y));
  TORCH_CHECK(status == 0, "sgemm failed with status ", status);
}

// Rows of unit stride, as sgemm reads them: a slice of a weight's columns
// (RNNsearch's W_ih split into embedding and context parts) is read in place.
torch::Tensor row_major(const torch::Tensor& t) {
  return t.stride(1) == 1 && ld(t) >= t.size(1) ? t : t.contiguous();
}

// a [m, n] @ b [n, k], and a^T @ b for a [m, n] and b [m, k]: through
// gemm_for's sgemm on fp32 CPU tensors, else LibTorch's mm.
torch::Tensor product(const torch::Tensor& a_in, const torch::Tensor& b_in, bool transpose_a) {
  if (!fp32_cpu(a_in) || !fp32_cpu(b_in) || gemm_for(transpose_a ? 'T' : 'N') == nullptr) {
    return torch::mm(transpose_a ? a_in.t() : a_in, b_in);
  }
  const auto a = row_major(a_in), b = row_major(b_in);
  const int64_t m = transpose_a ? a.size(1) : a.size(0), k = transpose_a ? a.size(0) : a.size(1), n = b.size(1);
  auto y = torch::empty({m, n}, a.options());
  if (y.numel() == 0) return y;
  if (k == 0) return y.zero_();
  sgemm(transpose_a ? 'T' : 'N', 'N', m, n, k, a, b, 0.0f, y);
  return y;
}

class CpuAffine : public torch::autograd::Function<CpuAffine> {
 public:
  // Without a bias, `b` is an empty placeholder (autograd takes only defined tensors).
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x_in,
                               const torch::Tensor& w_in, const torch::Tensor& bias, bool has_bias) {
    RECORD_FUNCTION("nmt::affine", std::vector<c10::IValue>());
    const torch::Tensor b = has_bias ? bias : torch::Tensor();
    const int64_t k = w_in.size(1), n = w_in.size(0);
    const auto x = x_in.reshape({-1, k}).contiguous(), w = row_major(w_in);
    const int64_t m = x.size(0);
    auto out_sizes = x_in.sizes().vec();
    out_sizes.back() = n;
    auto y = torch::empty({m, n}, x.options());
    if (b.defined()) y.copy_(b.expand(out_sizes).reshape({m, n}));
    if (m > 0 && n > 0) {
      if (k > 0) sgemm('N', 'T', m, n, k, x, w, b.defined() ? 1.0f : 0.0f, y);
      else if (!b.defined()) y.zero_();
    }
    ctx->save_for_backward({x, w});
    ctx->saved_data["bias_sizes"] = b.defined() ? c10::IValue(b.sizes().vec()) : c10::IValue();
    ctx->saved_data["x_sizes"] = x_in.sizes().vec();
    return y.view(out_sizes);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    RECORD_FUNCTION("nmt::affine_backward", std::vector<c10::IValue>());
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1];
    const int64_t m = x.size(0), n = w.size(0);
    const auto dy = grads[0].reshape({m, n}).contiguous();
    torch::Tensor dx, dw, db;
    if (ctx->needs_input_grad(0)) dx = product(dy, w, false).view(ctx->saved_data["x_sizes"].toIntVector());  // dy W
    if (ctx->needs_input_grad(1)) dw = product(dy, x, true);  // dy^T x
    const auto& bias_sizes = ctx->saved_data["bias_sizes"];
    if (ctx->needs_input_grad(2) && !bias_sizes.isNone()) {
      auto out_sizes = ctx->saved_data["x_sizes"].toIntVector();
      out_sizes.back() = n;
      db = at::sum_to(dy.view(out_sizes), bias_sizes.toIntVector());
    }
    return {dx, dw, db, torch::Tensor()};
  }
};

// A matrix of a [B, H, rows, cols] tensor as sgemm reads it: in place when one
// of its two strides is 1 (transposed when it is the row stride).
struct MatrixLayout {
  char trans;
  int64_t ld;
};

std::optional<MatrixLayout> layout(const torch::Tensor& t) {
  const int64_t rows = t.size(2), cols = t.size(3), rs = t.stride(2), cs = t.stride(3);
  if (cs == 1 && (rs >= std::max<int64_t>(1, cols) || rows <= 1)) return MatrixLayout{'N', std::max(rs, cols)};
  if (rs == 1 && (cs >= std::max<int64_t>(1, rows) || cols <= 1)) return MatrixLayout{'T', std::max(cs, rows)};
  return std::nullopt;
}

// c = a @ b for every (b, h), without autograd; c is fresh and contiguous.
torch::Tensor onednn_bmm(torch::Tensor a, torch::Tensor b) {
  if (!layout(a)) a = a.contiguous();
  if (!layout(b)) b = b.contiguous();
  const auto la = *layout(a), lb = *layout(b);
  const int64_t batch = a.size(0), heads = a.size(1), m = a.size(2), k = a.size(3), n = b.size(3);
  auto c = torch::empty({batch, heads, m, n}, a.options());
  if (c.numel() == 0) return c;
  if (k == 0) return c.zero_();
  const float* pa = a.data_ptr<float>();
  const float* pb = b.data_ptr<float>();
  float* pc = c.data_ptr<float>();
  const auto sgemm = onednn_sgemm();
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, m * n * k / 64));
  at::parallel_for(0, batch * heads, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t bi = i / heads, hi = i % heads;
      const float* ai = pa + bi * a.stride(0) + hi * a.stride(1);
      const float* bm = pb + bi * b.stride(0) + hi * b.stride(1);
      // Inside a parallel region oneDNN runs the product on this thread.
      sgemm(la.trans, lb.trans, m, n, k, 1.0f, ai, la.ld, bm, lb.ld, 0.0f, pc + i * m * n, n);
    }
  });
  return c;
}

class OnednnBmm : public torch::autograd::Function<OnednnBmm> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& a, const torch::Tensor& b) {
    RECORD_FUNCTION("nmt::batched_matmul", std::vector<c10::IValue>());
    ctx->save_for_backward({a, b});
    return onednn_bmm(a, b);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    RECORD_FUNCTION("nmt::batched_matmul_backward", std::vector<c10::IValue>());
    const auto saved = ctx->get_saved_variables();
    const auto &a = saved[0], &b = saved[1];
    const auto& dc = grads[0];
    torch::Tensor da, db;
    if (ctx->needs_input_grad(0)) da = onednn_bmm(dc, b.transpose(2, 3));
    if (ctx->needs_input_grad(1)) db = onednn_bmm(a.transpose(2, 3), dc);
    return {da, db};
  }
};

class FusedGruGates : public torch::autograd::Function<FusedGruGates> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& gi_in,
                               const torch::Tensor& gh_in, const torch::Tensor& h_in) {
    RECORD_FUNCTION("nmt::gru_gates", std::vector<c10::IValue>());
    const auto gi = gi_in.contiguous(), gh = gh_in.contiguous(), h = h_in.contiguous();
    const int64_t rows = h.size(0), hidden = h.size(1);
    auto out = torch::empty_like(h);
    auto workspace = torch::empty({rows, 4 * hidden}, h.options());
    const float* pi = gi.data_ptr<float>();
    const float* ph = gh.data_ptr<float>();
    const float* prev = h.data_ptr<float>();
    float* po = out.data_ptr<float>();
    float* pw = workspace.data_ptr<float>();
    const auto& k = kernel::kernels(kernel_isa());
    at::parallel_for(0, rows, kernel::grain(hidden), [&](int64_t begin, int64_t end) {
      k.gru_gates_forward(pi + begin * 3 * hidden, ph + begin * 3 * hidden, prev + begin * hidden,
                                po + begin * hidden, pw + begin * 4 * hidden, end - begin, hidden);
    });
    ctx->save_for_backward({h, workspace});
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    RECORD_FUNCTION("nmt::gru_gates_backward", std::vector<c10::IValue>());
    const auto saved = ctx->get_saved_variables();
    const auto& h = saved[0];
    const auto& workspace = saved[1];
    const auto grad = grads[0].contiguous();
    const int64_t rows = h.size(0), hidden = h.size(1);
    auto d_gi = torch::empty({rows, 3 * hidden}, h.options());
    auto d_gh = torch::empty_like(d_gi);
    auto d_h = torch::empty_like(h);
    const float* pg = grad.data_ptr<float>();
    const float* ph = h.data_ptr<float>();
    const float* pw = workspace.data_ptr<float>();
    float* pdi = d_gi.data_ptr<float>();
    float* pdh = d_gh.data_ptr<float>();
    float* pd = d_h.data_ptr<float>();
    const auto& k = kernel::kernels(kernel_isa());
    at::parallel_for(0, rows, kernel::grain(hidden), [&](int64_t begin, int64_t end) {
      k.gru_gates_backward(pg + begin * hidden, ph + begin * hidden, pw + begin * 4 * hidden,
                                 pdi + begin * 3 * hidden, pdh + begin * 3 * hidden, pd + begin * hidden,
                                 end - begin, hidden);
    });
    return {d_gi, d_gh, d_h};
  }
};

// The inputs and output gradients of a StepWeight's steps, left by their
// backward passes for the weight's one product.
struct StepRecord : torch::CustomClassHolder {
  std::mutex mutex;
  std::vector<torch::Tensor> inputs, grads;  // x_t [B, K] and dL/dy_t [B, N]
};

c10::intrusive_ptr<StepRecord> record_of(const c10::IValue& v) {
  return c10::static_intrusive_pointer_cast<StepRecord>(v.toCapsule());
}

// The weight's stand-in: forward aliases it; backward, which autograd runs
// once every step that used the stand-in has run its own, forms the gradient.
class StepWeightSink : public torch::autograd::Function<StepWeightSink> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& w,
                               c10::intrusive_ptr<StepRecord> record) {
    ctx->saved_data["record"] = c10::IValue::make_capsule(std::move(record));
    ctx->set_materialize_grads(false);
    return w.alias();
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    RECORD_FUNCTION("nmt::step_weight_backward", std::vector<c10::IValue>());
    auto record = record_of(ctx->saved_data["record"]);
    std::lock_guard<std::mutex> lock(record->mutex);
    TORCH_CHECK(!record->grads.empty() || grads[0].defined(), "StepWeight: backward runs once (no retain_graph)");
    torch::Tensor dw = grads[0];
    if (!record->grads.empty()) {
      const auto product_of_steps = product(torch::cat(record->grads), torch::cat(record->inputs), true);  // dy^T x
      dw = dw.defined() ? dw + product_of_steps : product_of_steps;
    }
    record->grads.clear();
    record->inputs.clear();
    return {dw, torch::Tensor()};
  }
};

// One step's x W^T through the stand-in: backward forms dL/dx and leaves x and
// dL/dy for the weight.
class StepWeightProduct : public torch::autograd::Function<StepWeightProduct> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& alias, c10::intrusive_ptr<StepRecord> record) {
    torch::Tensor y;
    {
      torch::NoGradGuard no_grad;
      y = affine(x, alias);
    }
    ctx->save_for_backward({x, alias});
    ctx->saved_data["record"] = c10::IValue::make_capsule(std::move(record));
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1];
    const auto dy = grads[0].contiguous();
    torch::Tensor dx;
    if (ctx->needs_input_grad(0)) dx = product(dy, w, false);  // dy W
    auto record = record_of(ctx->saved_data["record"]);
    std::lock_guard<std::mutex> lock(record->mutex);
    record->inputs.push_back(x);
    record->grads.push_back(dy);
    return {dx, torch::Tensor(), torch::Tensor()};
  }
};

class FusedAdditiveScores : public torch::autograd::Function<FusedAdditiveScores> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& keys_in,
                               const torch::Tensor& query_in, const torch::Tensor& v_in) {
    RECORD_FUNCTION("nmt::additive_scores", std::vector<c10::IValue>());
    const auto keys = keys_in.contiguous(), query = query_in.contiguous(), v = v_in.contiguous();
    const int64_t rows = keys.size(0), len = keys.size(1), dim = keys.size(2);
    auto scores = torch::empty({rows, len}, keys.options());
    const float* pk = keys.data_ptr<float>();
    const float* pq = query.data_ptr<float>();
    const float* pv = v.data_ptr<float>();
    float* ps = scores.data_ptr<float>();
    const auto& k = kernel::kernels(kernel_isa());
    at::parallel_for(0, rows, kernel::grain(len * dim), [&](int64_t begin, int64_t end) {
      k.additive_scores_forward(pk + begin * len * dim, pq + begin * dim, pv, ps + begin * len, end - begin, len, dim);
    });
    ctx->save_for_backward({keys, query, v});
    return scores;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    RECORD_FUNCTION("nmt::additive_scores_backward", std::vector<c10::IValue>());
    const auto saved = ctx->get_saved_variables();
    const auto &keys = saved[0], &query = saved[1], &v = saved[2];
    const auto grad = grads[0].contiguous();
    const int64_t rows = keys.size(0), len = keys.size(1), dim = keys.size(2);
    auto d_keys = torch::empty_like(keys);
    auto d_query = torch::empty_like(query);
    auto d_v_rows = torch::empty({rows, dim}, keys.options());
    const float* pg = grad.data_ptr<float>();
    const float* pk = keys.data_ptr<float>();
    const float* pq = query.data_ptr<float>();
    const float* pv = v.data_ptr<float>();
    float* pdk = d_keys.data_ptr<float>();
    float* pdq = d_query.data_ptr<float>();
    float* pdv = d_v_rows.data_ptr<float>();
    const auto& k = kernel::kernels(kernel_isa());
    at::parallel_for(0, rows, kernel::grain(len * dim), [&](int64_t begin, int64_t end) {
      k.additive_scores_backward(pg + begin * len, pk + begin * len * dim, pq + begin * dim, pv,
                                 pdk + begin * len * dim, pdq + begin * dim, pdv + begin * dim, end - begin, len, dim);
    });
    return {d_keys, d_query, d_v_rows.sum(0).view(v.sizes())};
  }
};

// NMT_GEMM, which tune_process has checked in nmt; a test binary keeps the default.
Gemm gemm_setting() {
  try {
    return requested_gemm();
  } catch (const ConfigError&) {
    return Gemm::automatic;
  }
}

// OpenBLAS's CBLAS entry and the values of its enums that it takes.
using CblasSgemm = void (*)(int order, int transa, int transb, int m, int n, int k, float alpha, const float* a,
                            int lda, const float* b, int ldb, float beta, float* c, int ldc);
constexpr int kCblasRowMajor = 101, kCblasNoTrans = 111, kCblasTrans = 112;

CblasSgemm cblas_sgemm() {
  static const auto f = blas_info().config.empty() ? nullptr  // not OpenBLAS: the reference BLAS is no faster
                                                   : reinterpret_cast<CblasSgemm>(::dlsym(RTLD_DEFAULT, "cblas_sgemm"));
  return f;
}

int openblas_row_major(char ta, char tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                       const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  constexpr int64_t kMax = std::numeric_limits<int>::max();  // CBLAS's sizes are 32-bit ints here
  if (std::max({m, n, k, lda, ldb, ldc}) > kMax) {
    return onednn_sgemm()(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
  const auto trans = [](char t) { return t == 'T' || t == 't' ? kCblasTrans : kCblasNoTrans; };
  cblas_sgemm()(kCblasRowMajor, trans(ta), trans(tb), static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
                alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
  return 0;
}

}  // namespace

Sgemm onednn_sgemm() {
  static const Sgemm sgemm = gemm_setting() == Gemm::libtorch
                                 ? nullptr
                                 : reinterpret_cast<Sgemm>(::dlsym(RTLD_DEFAULT, "dnnl_sgemm"));
  return sgemm;
}

Sgemm openblas_sgemm() {
  static const Sgemm sgemm =
      gemm_setting() == Gemm::automatic && cblas_sgemm() != nullptr ? &openblas_row_major : nullptr;
  return sgemm;
}

Sgemm gemm_for(char transa) {
  // oneDNN's level is fixed when it loads: NMT_CPU_ISA's where tune_process capped it, else the host's.
  static const bool onednn_avx512 = [] {
    try {
      return requested_isa().value_or(host_isa()) >= Isa::avx512;
    } catch (const ConfigError&) {
      return host_isa() >= Isa::avx512;
    }
  }();
  const bool weight_gradient = transa == 'T' || transa == 't';
  if (weight_gradient && !onednn_avx512 && openblas_sgemm() != nullptr && onednn_sgemm() != nullptr) {
    return openblas_sgemm();
  }
  return onednn_sgemm();
}

bool autocast_active() {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  return at::autocast::is_autocast_enabled(at::kCPU) || at::autocast::is_autocast_enabled(at::kCUDA);
#else
  return at::autocast::is_cpu_enabled() || at::autocast::is_enabled();
#endif
}

torch::Tensor affine(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  if (!fp32_cpu(x) || !fp32_cpu(w) || !fp32_cpu(b) || x.dim() < 1 || w.dim() != 2 ||
      x.size(-1) != w.size(1))
    return torch::nn::functional::linear(x, w, b);  // LibTorch's checks and messages for bad shapes
  if (int8::enabled() && !torch::GradMode::is_enabled()) return int8::affine(x, w, b);
  if (gemm_for('N') == nullptr) return torch::nn::functional::linear(x, w, b);
  return CpuAffine::apply(x, w, b.defined() ? b : torch::empty({0}, w.options()), b.defined());
}

StepWeight::StepWeight(const torch::Tensor& w) : w_(w) {
  // Under autocast the steps' products are ATen's, in its precision: plain autograd sums their gradients.
  if (torch::GradMode::is_enabled() && w.requires_grad() && !autocast_active()) {
    auto record = c10::make_intrusive<StepRecord>();
    alias_ = StepWeightSink::apply(w, record);
    steps_ = std::move(record);
  }
}

torch::Tensor StepWeight::operator()(const torch::Tensor& x) const {
  if (!alias_.defined() || !torch::GradMode::is_enabled()) return affine(x, w_);
  return StepWeightProduct::apply(x, alias_, c10::static_intrusive_pointer_cast<StepRecord>(steps_));
}

torch::Tensor affine(const torch::Tensor& x, const torch::nn::LinearImpl& layer) {
  return affine(x, layer.weight, layer.bias);
}

torch::Tensor batched_matmul(const torch::Tensor& a, const torch::Tensor& b) {
  const bool fits = a.dim() == 4 && b.dim() == 4 && a.size(0) == b.size(0) && a.size(1) == b.size(1) &&
                    a.size(3) == b.size(2) && fp32_cpu(a) && fp32_cpu(b) && onednn_sgemm() != nullptr;
  return fits ? OnednnBmm::apply(a, b) : torch::matmul(a, b);
}

torch::Tensor attention_inference(const torch::Tensor& q_in, const torch::Tensor& k_in, const torch::Tensor& v_in,
                                  const torch::Tensor& key_mask, bool causal) {
  TORCH_CHECK(q_in.is_cpu() && q_in.scalar_type() == torch::kFloat && k_in.scalar_type() == torch::kFloat &&
                  v_in.scalar_type() == torch::kFloat,
              "attention_inference: fp32 CPU tensors only");
  // Rows of unit stride in d, as the kernel reads them.
  const auto unit_d = [](const torch::Tensor& t) { return t.stride(3) == 1 ? t : t.contiguous(); };
  const auto q = unit_d(q_in), k = unit_d(k_in), v = unit_d(v_in);
  const int64_t batch = q.size(0), heads = q.size(1), tq = q.size(2), tk = k.size(2), dh = q.size(3);
  auto out = torch::empty({batch, heads, tq, dh}, q.options());
  const auto mask = key_mask.defined() ? key_mask.to(torch::kBool).contiguous() : torch::Tensor();
  kernel::AttentionProblem p{};
  p.q = q.data_ptr<float>();
  p.k = k.data_ptr<float>();
  p.v = v.data_ptr<float>();
  p.out = out.data_ptr<float>();
  p.key_allowed = mask.defined() ? mask.data_ptr<bool>() : nullptr;
  p.heads = heads;
  p.tq = tq;
  p.tk = tk;
  p.dh = dh;
  for (int i = 0; i < 3; ++i) {
    p.q_stride[i] = q.stride(i);
    p.k_stride[i] = k.stride(i);
    p.v_stride[i] = v.stride(i);
    p.out_stride[i] = out.stride(i);
  }
  p.mask_stride = tk;
  p.causal = causal;
  p.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dh)));
  const auto& kernels = kernel::kernels(kernel_isa());
  at::parallel_for(0, batch * heads, kernel::grain(tq * tk * dh),
                   [&](int64_t begin, int64_t end) { kernels.attention(p, begin, end); });
  return out;
}

torch::Tensor gru_gates_reference(const torch::Tensor& gi, const torch::Tensor& gh, const torch::Tensor& h) {
  const auto i = gi.chunk(3, 1), g = gh.chunk(3, 1);
  const auto r = torch::sigmoid(i[0] + g[0]);
  const auto z = torch::sigmoid(i[1] + g[1]);
  const auto n = torch::tanh(i[2] + r * g[2]);
  return n + z * (h - n);
}

torch::Tensor gru_gates(const torch::Tensor& gi, const torch::Tensor& gh, const torch::Tensor& h) {
  TORCH_CHECK(h.dim() == 2 && gi.dim() == 2 && gh.dim() == 2 && gi.size(0) == h.size(0) &&
                  gi.size(1) == 3 * h.size(1) && gh.sizes() == gi.sizes(),
              "gru_gates: need gi, gh [B, 3H] and h [B, H]");
  if (h.is_cuda()) return std::get<0>(at::_thnn_fused_gru_cell(gi, gh, h));
  const bool fp32 = h.scalar_type() == torch::kFloat && gi.scalar_type() == torch::kFloat &&
                    gh.scalar_type() == torch::kFloat;
  if (h.is_cpu() && fp32) return FusedGruGates::apply(gi, gh, h);
  return gru_gates_reference(gi, gh, h);
}

torch::Tensor additive_scores_reference(const torch::Tensor& keys, const torch::Tensor& query, const torch::Tensor& v) {
  return torch::nn::functional::linear(torch::tanh(keys + query.unsqueeze(1)), v).squeeze(2);
}

torch::Tensor additive_scores(const torch::Tensor& keys, const torch::Tensor& query, const torch::Tensor& v) {
  TORCH_CHECK(keys.dim() == 3 && query.dim() == 2 && v.dim() == 2 && query.size(0) == keys.size(0) &&
                  query.size(1) == keys.size(2) && v.size(0) == 1 && v.size(1) == keys.size(2),
              "additive_scores: need keys [B, S, A], query [B, A] and v [1, A]");
  const bool fused = fp32_cpu(keys) && fp32_cpu(query) && fp32_cpu(v);
  return fused ? FusedAdditiveScores::apply(keys, query, v) : additive_scores_reference(keys, query, v);
}

namespace {

// A dropout draw: the seed of its counter-based mask, from LibTorch's default
// generator, and the mask's threshold and scale.
struct DropoutDraw {
  uint64_t seed;
  uint32_t threshold;
  float scale;
};

DropoutDraw draw_dropout(double p) {
  uint64_t seed = 0;
  {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    seed = at::check_generator<at::CPUGeneratorImpl>(generator)->random64();
  }
  return {seed, static_cast<uint32_t>(std::min(4294967295.0, std::round(p * 4294967296.0))),
          static_cast<float>(1.0 / (1.0 - p))};
}

// Forward writes x * mask (of relu(x) with `relu`) without forming the mask;
// backward recomputes it from the seed, so neither keeps a mask tensor.
class FusedDropout : public torch::autograd::Function<FusedDropout> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x_in, double p,
                               bool relu) {
    const auto x = x_in.contiguous();
    const auto d = draw_dropout(p);
    auto out = torch::empty_like(x);
    const float* px = x.data_ptr<float>();
    float* po = out.data_ptr<float>();
    const auto& k = kernel::kernels(kernel_isa());
    at::parallel_for(0, x.numel(), 32768, [&](int64_t begin, int64_t end) {
      k.dropout_forward(px + begin, po + begin, begin, end, d.seed, d.threshold, d.scale, relu);
    });
    if (relu) ctx->save_for_backward({x});
    ctx->saved_data["seed"] = static_cast<int64_t>(d.seed);
    ctx->saved_data["threshold"] = static_cast<int64_t>(d.threshold);
    ctx->saved_data["scale"] = static_cast<double>(d.scale);
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    RECORD_FUNCTION("nmt::dropout_backward", std::vector<c10::IValue>());
    const auto saved = ctx->get_saved_variables();
    const auto grad = grads[0].contiguous();
    auto d_x = torch::empty_like(grad);
    const float* pg = grad.data_ptr<float>();
    const float* relu_input = saved.empty() ? nullptr : saved[0].data_ptr<float>();
    float* pd = d_x.data_ptr<float>();
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    const auto threshold = static_cast<uint32_t>(ctx->saved_data["threshold"].toInt());
    const auto scale = static_cast<float>(ctx->saved_data["scale"].toDouble());
    const auto& k = kernel::kernels(kernel_isa());
    at::parallel_for(0, grad.numel(), 32768, [&](int64_t begin, int64_t end) {
      k.dropout_backward(pg + begin, relu_input == nullptr ? nullptr : relu_input + begin, pd + begin, begin, end,
                         seed, threshold, scale);
    });
    return {d_x, torch::Tensor(), torch::Tensor()};
  }
};

torch::Tensor dropout_after(const torch::Tensor& x, double p, bool train, bool relu) {
  if (!train || p <= 0) return relu ? torch::relu(x) : x;
  RECORD_FUNCTION("nmt::dropout", std::vector<c10::IValue>());
  if (!fp32_cpu(x) || p >= 1) {
    return torch::dropout(relu ? torch::relu(x) : x, p, train);
  }
  return FusedDropout::apply(x, p, relu);
}

}  // namespace

torch::Tensor dropout(const torch::Tensor& x, double p, bool train) { return dropout_after(x, p, train, false); }

torch::Tensor relu_dropout(const torch::Tensor& x, double p, bool train) { return dropout_after(x, p, train, true); }

}  // namespace nmt::model
