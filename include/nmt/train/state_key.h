// Where torch::optim::Optimizer keeps a parameter's state, for the optimizers
// nmt writes itself (Adadelta, FusedAdam).
#pragma once

#include <string>

#include <torch/types.h>
#include <torch/version.h>

namespace nmt::train {

/// The key of `p`'s state in Optimizer::state(): LibTorch 2 keys it by the
/// TensorImpl's pointer, 1.x by that pointer printed as a string.
inline auto state_key(const torch::Tensor& p) {
#if TORCH_VERSION_MAJOR >= 2
  return static_cast<void*>(p.unsafeGetTensorImpl());
#else
  return c10::guts::to_string(p.unsafeGetTensorImpl());
#endif
}

}  // namespace nmt::train
