#include "nmt/model/int8.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#include <torch/torch.h>

#include "model/kernels.h"
#include "nmt/common/isa.h"
#include "nmt/common/logging.h"

namespace nmt::model::int8 {
namespace {

// A weight as affine() sees it: where its first element lies, its shape and row
// stride (a column slice of a larger weight is its own matrix), and the bias
// packed with it, if any.
using Key = std::tuple<const void*, int64_t, int64_t, int64_t, const void*>;

struct Packed {
  torch::Tensor weight, bias;  // held, so that no other tensor can reuse their memory while the key stands
  torch::Tensor q, scale;      // oneDNN's gemm: int8 weight [N, K] and its per-row scales [N]
  c10::IValue params;          // LibTorch's engine: LinearPackedParamsBase
  int64_t bytes = 0;           // of the int8 weight and its scales
};

// oneDNN's row-major C = alpha (op(A) - ao)(op(B) - bo) + beta C + co, in int8 with int32 sums.
using GemmS8 = int (*)(char transa, char transb, char offsetc, int64_t m, int64_t n, int64_t k, float alpha,
                       const int8_t* a, int64_t lda, int8_t ao, const int8_t* b, int64_t ldb, int8_t bo, float beta,
                       int32_t* c, int64_t ldc, const int32_t* co);

GemmS8 onednn_gemm_s8() {
  static const auto gemm = reinterpret_cast<GemmS8>(::dlsym(RTLD_DEFAULT, "dnnl_gemm_s8s8s32"));
  return gemm;
}

struct State {
  std::mutex mutex;
  std::atomic<bool> on{false};
  std::string engine;
  std::map<Key, Packed> packed;
  int64_t bytes = 0;
  // x86 without VNNI adds int8 products in pairs in 16 bits: LibTorch's engine
  // then takes 7-bit activations. oneDNN's gemm shifts the activations to
  // unsigned (x + 128 up to 255), so there the weights take 7 bits instead:
  // 2 x 255 x 63 fits in 16 bits, where 2 x 191 x 127 saturated.
  bool reduce_range = false;
  bool direct = false;        // oneDNN's int8 gemm, called here, rather than LibTorch's engine
};

State& state() {
  static State s;
  return s;
}

// Symmetric int8 per output row: scale = max |w_row| / 127, zero point 0.
torch::Tensor quantize_rows(const torch::Tensor& w) {
  const auto scales = (w.abs().amax(1) / 127.0).clamp_min(1e-12).to(torch::kDouble);
  return at::quantize_per_channel(w, scales, torch::zeros({w.size(0)}, torch::kLong), 0, torch::kQInt8);
}

// Drops the weights that nothing but this cache holds any more (neither the
// tensor nor another view of its memory): the rows of a shortlist's output
// layer, packed once per batch, leave with their batch.
void forget_unused(State& s) {
  for (auto it = s.packed.begin(); it != s.packed.end();) {
    const auto& w = it->second.weight;
    if (w.use_count() == 1 && w.storage().use_count() == 1) {
      s.bytes -= it->second.bytes;
      it = s.packed.erase(it);
    } else {
      ++it;
    }
  }
}

const Packed& pack(State& s, const torch::Tensor& w, const torch::Tensor& b) {
  const Key key{w.data_ptr(), w.size(0), w.size(1), w.stride(0), b.defined() ? b.data_ptr() : nullptr};
  const std::lock_guard<std::mutex> hold(s.mutex);
  auto it = s.packed.find(key);
  if (it != s.packed.end()) return it->second;
  forget_unused(s);
  torch::NoGradGuard no_grad;
  const auto weight = w.detach().contiguous();
  const int64_t n = weight.size(0), k = weight.size(1);
  Packed p{w, b, {}, {}, {}, 0};
  if (s.direct) {
    p.q = torch::empty({n, k}, torch::kChar);
    p.scale = torch::empty({n}, torch::kFloat);
    kernel::kernels(kernel_isa()).quantize_rows(weight.data_ptr<float>(), p.q.data_ptr<int8_t>(),
                                                p.scale.data_ptr<float>(), n, k, s.reduce_range ? 63.0f : 127.0f);
  } else {
    const auto qweight = s.engine == "qnnpack"  // QNNPACK's linear takes one scale per tensor
                             ? at::quantize_per_tensor(
                                   weight, std::max(1e-12, weight.abs().max().item<double>() / 127.0), 0, torch::kQInt8)
                             : quantize_rows(weight);
    torch::jit::Stack stack{c10::IValue(qweight), c10::IValue(b.defined() ? c10::optional<at::Tensor>(b.detach())
                                                                            : c10::optional<at::Tensor>())};
    static const auto prepack = c10::Dispatcher::singleton().findSchemaOrThrow("quantized::linear_prepack", "");
    prepack.callBoxed(&stack);
    p.params = std::move(stack.at(0));
  }
  p.bytes = n * k + (s.direct ? 4 * n : 0);
  s.bytes += p.bytes;
  NMT_DEBUG("int8", "packed a {} x {} weight{} ({} in all, {:.1f} MB)", n, k, b.defined() ? " and its bias" : "",
            s.packed.size() + 1, static_cast<double>(s.bytes) / 1e6);
  return s.packed.emplace(key, std::move(p)).first->second;
}

// x W^T + b from int8 weights: x quantized per row here, multiplied by oneDNN,
// and scaled back with the bias in one pass.
torch::Tensor direct_affine(const State& s, const Packed& p, const torch::Tensor& x_in) {
  const auto x = x_in.reshape({-1, p.q.size(1)}).contiguous();
  const int64_t m = x.size(0), k = x.size(1), n = p.q.size(0);
  const auto& kernels = kernel::kernels(kernel_isa());
  auto xq = torch::empty({m, k}, torch::kChar);
  auto x_scale = torch::empty({m}, torch::kFloat);
  const float qmax = 127.0f;  // the weights took reduce_range's 7 bits
  at::parallel_for(0, m, kernel::grain(k), [&](int64_t begin, int64_t end) {
    kernels.quantize_rows(x.data_ptr<float>() + begin * k, xq.data_ptr<int8_t>() + begin * k,
                          x_scale.data_ptr<float>() + begin, end - begin, k, qmax);
  });
  auto acc = torch::empty({m, n}, torch::kInt);
  const int32_t no_offset = 0;
  const int status = onednn_gemm_s8()('N', 'T', 'F', m, n, k, 1.0f, xq.data_ptr<int8_t>(), k, 0,
                                      p.q.data_ptr<int8_t>(), k, 0, 0.0f, acc.data_ptr<int32_t>(), n, &no_offset);
  TORCH_CHECK(status == 0, "oneDNN int8 gemm failed with status ", status);
  auto y = torch::empty({m, n}, x.options());
  const float* bias = p.bias.defined() ? p.bias.data_ptr<float>() : nullptr;
  at::parallel_for(0, m, kernel::grain(n), [&](int64_t begin, int64_t end) {
    kernels.dequantize(acc.data_ptr<int32_t>() + begin * n, x_scale.data_ptr<float>() + begin,
                       p.scale.data_ptr<float>(), bias, y.data_ptr<float>() + begin * n,
                       end - begin, n);
  });
  return y;
}

}  // namespace

void enable(bool through_libtorch) {
  State& s = state();
  const auto& engines = at::globalContext().supportedQEngines();
  const auto has = [&](at::QEngine e) { return std::find(engines.begin(), engines.end(), e) != engines.end(); };
  const std::lock_guard<std::mutex> hold(s.mutex);
#if defined(__GNUC__) && defined(__x86_64__)
  s.reduce_range = !__builtin_cpu_supports("avx512vnni") && !__builtin_cpu_supports("avxvnni");
#endif
  s.direct = onednn_gemm_s8() != nullptr && !through_libtorch;
  if (s.direct) {
    s.engine = "onednn-gemm";
  } else if (has(at::kONEDNN)) {
    at::globalContext().setQEngine(at::kONEDNN);
    s.engine = "onednn";
  } else if (has(at::kQNNPACK)) {
    at::globalContext().setQEngine(at::kQNNPACK);
    s.engine = "qnnpack";
  } else {
    throw std::runtime_error("int8: this LibTorch has no quantized engine for the CPU (onednn or qnnpack)");
  }
  s.on = true;
}

void disable() {
  State& s = state();
  const std::lock_guard<std::mutex> hold(s.mutex);
  s.on = false;
  s.engine.clear();
  s.packed.clear();
  s.bytes = 0;
}

bool enabled() { return state().on.load(std::memory_order_relaxed); }

std::string engine() {
  State& s = state();
  const std::lock_guard<std::mutex> hold(s.mutex);
  return s.engine;
}

int64_t packed_bytes() {
  State& s = state();
  const std::lock_guard<std::mutex> hold(s.mutex);
  return s.bytes;
}

torch::Tensor affine(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  State& s = state();
  const bool row_bias = b.defined() && b.dim() == 1;  // packed with the weight; any other bias is added after
  const torch::Tensor packed_bias = row_bias ? b : torch::Tensor();
  const Packed& p = pack(s, w, packed_bias);
  const int64_t k = w.size(1);
  auto sizes = x.sizes().vec();
  sizes.back() = w.size(0);
  if (x.numel() == 0) return b.defined() ? b.expand(sizes).clone() : torch::zeros(sizes, x.options());
  torch::Tensor y;
  if (s.direct) {
    y = direct_affine(s, p, x).view(sizes);
  } else {
    torch::jit::Stack stack{c10::IValue(x.reshape({-1, k}).contiguous()), p.params, c10::IValue(s.reduce_range)};
    static const auto linear = c10::Dispatcher::singleton().findSchemaOrThrow("quantized::linear_dynamic", "");
    linear.callBoxed(&stack);
    y = stack.at(0).toTensor().view(sizes);
  }
  if (b.defined() && !row_bias) y.add_(b);
  return y;
}

}  // namespace nmt::model::int8
