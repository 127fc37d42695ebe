#include "nmt/train/loss.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/autograd.h>

#include "model/kernels.h"
#include "nmt/common/isa.h"
#include "nmt/data/vocab.h"

namespace nmt::train {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Per real token, loss = (1 - eps) * -log p(target) + eps * mean_v -log p(v),
// whose gradient with respect to the logits is softmax - (1 - eps) * onehot - eps / V.
// Written out, forward keeps only the log-probabilities and backward turns them
// into the gradient in place, where autograd through log_softmax, gather and
// mean would keep or build four [N, V] tensors (131 MB each at a batch of 4096
// tokens and 8000 words). Hence backward runs once: no retain_graph.
struct SmoothedNll : torch::autograd::Function<SmoothedNll> {
  // logits [N, V], targets [N] (pad = data::kPad) -> {summed smoothed loss, summed nll}
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& logits, const torch::Tensor& targets,
                               double epsilon) {
    RECORD_FUNCTION("nmt::loss", std::vector<c10::IValue>());
    const auto lprobs = torch::log_softmax(logits, -1);
    const auto mask = targets.ne(data::kPad).to(lprobs.dtype());
    const auto nll = -lprobs.gather(-1, targets.unsqueeze(-1)).squeeze(-1);
    const auto smooth = -lprobs.mean(-1);
    const auto loss = (((1.0 - epsilon) * nll + epsilon * smooth) * mask).sum();
    ctx->save_for_backward({targets, mask});
    ctx->saved_data["lprobs"] = lprobs;  // not a saved variable: backward overwrites it
    ctx->saved_data["epsilon"] = epsilon;
    const auto nll_sum = (nll * mask).sum();
    ctx->mark_non_differentiable({nll_sum});
    return {loss, nll_sum};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    RECORD_FUNCTION("nmt::loss_backward", std::vector<c10::IValue>());
    const auto saved = ctx->get_saved_variables();
    const auto &targets = saved[0], &mask = saved[1];
    TORCH_CHECK(ctx->saved_data.count("lprobs") != 0, "label_smoothed_nll: backward runs once (no retain_graph)");
    auto grad = ctx->saved_data["lprobs"].toTensor();
    ctx->saved_data.erase("lprobs");
    const double epsilon = ctx->saved_data["epsilon"].toDouble();
    const auto scale = (mask * grads[0]).unsqueeze(-1);  // [N, 1]: 0 on padding
    grad.exp_().sub_(epsilon / static_cast<double>(grad.size(-1))).mul_(scale);
    grad.scatter_add_(-1, targets.unsqueeze(-1), scale * -(1.0 - epsilon));
    return {grad, torch::Tensor(), torch::Tensor()};
  }
};

// The same on fp32 CPU logits in one loop forward, which keeps only each
// row's log-sum-exp, and one backward, which writes the gradient from the
// logits: three passes over [N, V] where the tensor operations above make ten.
// Backward runs once, as above.
struct FusedSmoothedNll : torch::autograd::Function<FusedSmoothedNll> {
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& logits_in, const torch::Tensor& targets_in,
                               double epsilon, bool consumed) {
    RECORD_FUNCTION("nmt::loss", std::vector<c10::IValue>());
    const auto logits = logits_in.contiguous();
    const auto targets = targets_in.to(torch::kLong).contiguous();
    const int64_t rows = logits.size(0), vocab = logits.size(1);
    auto lse = torch::empty({rows}, logits.options());
    auto nll = torch::empty({rows}, logits.options());
    auto loss = torch::empty({rows}, logits.options());
    const float* x = logits.data_ptr<float>();
    const int64_t* t = targets.data_ptr<int64_t>();
    float *pl = lse.data_ptr<float>(), *pn = nll.data_ptr<float>(), *ps = loss.data_ptr<float>();
    const auto eps = static_cast<float>(epsilon);
    const auto& k = model::kernel::kernels(kernel_isa());
    at::parallel_for(0, rows, model::kernel::grain(vocab), [&](int64_t begin, int64_t end) {
      k.cross_entropy_forward(x + begin * vocab, t + begin, pl + begin, pn + begin, ps + begin, end - begin, vocab,
                              data::kPad, eps);
    });
    ctx->save_for_backward({logits, targets, lse});
    ctx->saved_data["epsilon"] = epsilon;
    ctx->saved_data["consumed"] = consumed || !logits.is_same(logits_in);  // a private copy is consumed too
    const auto nll_sum = nll.sum();
    ctx->mark_non_differentiable({nll_sum});
    return {loss.sum(), nll_sum};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    RECORD_FUNCTION("nmt::loss_backward", std::vector<c10::IValue>());
    const auto saved = ctx->get_saved_variables();
    const auto &logits = saved[0], &targets = saved[1], &lse = saved[2];
    const int64_t rows = logits.size(0), vocab = logits.size(1);
    const auto scale = grads[0].to(logits.dtype()).expand({rows}).contiguous();
    // Consumed logits make way for their gradient: no fresh [N, V] tensor to fault in.
    auto grad = ctx->saved_data["consumed"].toBool() ? logits : logits.clone();
    const float *pl = lse.data_ptr<float>(), *ps = scale.data_ptr<float>();
    const int64_t* t = targets.data_ptr<int64_t>();
    float* g = grad.data_ptr<float>();
    const auto eps = static_cast<float>(ctx->saved_data["epsilon"].toDouble());
    const auto& k = model::kernel::kernels(kernel_isa());
    at::parallel_for(0, rows, model::kernel::grain(vocab), [&](int64_t begin, int64_t end) {
      k.cross_entropy_backward(g + begin * vocab, t + begin, pl + begin, ps + begin, end - begin, vocab, data::kPad,
                               eps);
    });
    return {grad, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

LossOutput label_smoothed_nll(const torch::Tensor& logits, const torch::Tensor& targets, double epsilon,
                              Logits logits_use) {
  TORCH_CHECK(logits.dim() == 3 && targets.dim() == 2 && logits.sizes().slice(0, 2) == targets.sizes(),
              "loss expects logits [B, T, V] and targets [B, T]");
  const auto flat_targets = targets.reshape({-1});
  const auto flat_logits = logits.reshape({-1, logits.size(-1)});
  const bool fused = flat_logits.is_cpu() && flat_logits.scalar_type() == torch::kFloat && flat_logits.size(1) > 0;
  const auto sums = fused ? FusedSmoothedNll::apply(flat_logits, flat_targets, epsilon, logits_use == Logits::consumed)
                          : SmoothedNll::apply(flat_logits, flat_targets, epsilon);
  LossOutput out;
  out.tokens = flat_targets.ne(data::kPad).sum().item<int64_t>();
  out.loss = sums[0] / static_cast<double>(std::max<int64_t>(1, out.tokens));
  out.nll = sums[1];
  return out;
}

}  // namespace nmt::train
