// Where torch::optim::Optimizer keeps a parameter's state, for the optimizers
// nmt writes itself (Adadelta, FusedAdam), and reading that state back from
// any LibTorch's checkpoint.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/optim/optimizer.h>
#include <torch/serialize/archive.h>
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

/// Optimizer::save's archive read into `optimizer`, whichever LibTorch wrote
/// it: the state of each parameter, found under the name the writer gave it
/// (its TensorImpl's address, in hexadecimal from 1.x and in decimal from 2.x),
/// and each group's options. LibTorch 2's own reader parses those names as
/// decimal numbers and so loses 1.x's state.
template <typename State, typename Options>
void load_optimizer(torch::serialize::InputArchive& archive, torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive states, groups;
  archive.read("state", states);
  archive.read("param_groups", groups);
  torch::Tensor count;
  groups.read("param_groups/size", count);
  TORCH_CHECK(count.item<int64_t>() == static_cast<int64_t>(optimizer.param_groups().size()),
              "the optimizer state has ", count.item<int64_t>(), " parameter groups, the optimizer ",
              optimizer.param_groups().size());
  for (std::size_t i = 0; i < optimizer.param_groups().size(); ++i) {
    auto& group = optimizer.param_groups()[i];
    torch::serialize::InputArchive saved;
    groups.read("param_groups/" + std::to_string(i), saved);
    torch::Tensor size;
    saved.read("params/size", size);
    const std::vector<torch::Tensor>& params = group.params();
    TORCH_CHECK(size.item<int64_t>() == static_cast<int64_t>(params.size()), "parameter group ", i, " holds ",
                size.item<int64_t>(), " parameters in the optimizer state, ", params.size(), " in the optimizer");
    for (std::size_t k = 0; k < params.size(); ++k) {
      c10::IValue name;
      saved.read("params/" + std::to_string(k), name);
      torch::serialize::InputArchive saved_state;
      if (!states.try_read(name.toStringRef(), saved_state)) continue;  // no step taken for it yet
      auto state = std::make_unique<State>();
      state->serialize(saved_state);
      optimizer.state()[state_key(params[k])] = std::move(state);
    }
    torch::serialize::InputArchive saved_options;
    saved.read("options", saved_options);
    static_cast<Options&>(group.options()).serialize(saved_options);
  }
}

}  // namespace nmt::train
