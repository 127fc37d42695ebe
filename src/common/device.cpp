#include "nmt/common/device.h"

#include <torch/cuda.h>

#include "nmt/common/error.h"

namespace nmt {

torch::Device resolve_device(const std::string& name) {
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw ConfigError("--device " + name + ": this LibTorch has no usable CUDA device (use --device cpu)");
    }
    const torch::Device device(name);
    if (device.index() >= static_cast<int>(torch::cuda::device_count())) {
      throw ConfigError("--device " + name + ": there are only " + std::to_string(torch::cuda::device_count()) +
                        " CUDA devices");
    }
    return device;
  }
  throw ConfigError("--device '" + name + "': expected cpu, cuda, cuda:N or auto");
}

std::string describe_device(const torch::Device& device) {
#ifdef NMT_TORCH_CUDA
  if (device.is_cpu() && !torch::cuda::is_available()) return "cpu (this LibTorch is built for CUDA; no GPU is usable here)";
#endif
  return device.str();
}

}  // namespace nmt
