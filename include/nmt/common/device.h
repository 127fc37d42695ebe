// Where tensors live: the CPU or a CUDA device.
#pragma once

#include <string>

#include <torch/types.h>

namespace nmt {

/// "cpu", "cuda", "cuda:N", or "auto" (the first CUDA device when there is one).
/// Asking for CUDA where LibTorch has none is a ConfigError.
torch::Device resolve_device(const std::string& name);

}  // namespace nmt
