// Where tensors live: the CPU or a CUDA device.
#pragma once

#include <string>

#include <torch/types.h>

namespace nmt {

/// "cpu", "cuda", "cuda:N", or "auto" (the first CUDA device when there is one).
/// Asking for CUDA where LibTorch has none is a ConfigError.
torch::Device resolve_device(const std::string& name);

/// `device` for the log: "cpu" says so where this LibTorch is built for CUDA
/// and no GPU is usable (--device auto's fallback).
std::string describe_device(const torch::Device& device);

}  // namespace nmt
