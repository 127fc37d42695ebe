#include "nmt/train/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "nmt/common/error.h"

namespace nmt::train {
namespace {

// LibTorch 2.4 gave autocast one set of calls taking the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool enabled(torch::DeviceType d) { return at::autocast::is_autocast_enabled(d); }
void set_enabled(torch::DeviceType d, bool on) { at::autocast::set_autocast_enabled(d, on); }
at::ScalarType dtype(torch::DeviceType d) { return at::autocast::get_autocast_dtype(d); }
void set_dtype(torch::DeviceType d, at::ScalarType t) { at::autocast::set_autocast_dtype(d, t); }
#else
bool enabled(torch::DeviceType d) {
  return d == torch::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
void set_enabled(torch::DeviceType d, bool on) {
  d == torch::kCUDA ? at::autocast::set_enabled(on) : at::autocast::set_cpu_enabled(on);
}
at::ScalarType dtype(torch::DeviceType d) {
  return d == torch::kCUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void set_dtype(torch::DeviceType d, at::ScalarType t) {
  d == torch::kCUDA ? at::autocast::set_autocast_gpu_dtype(t) : at::autocast::set_autocast_cpu_dtype(t);
}
#endif

}  // namespace

torch::ScalarType compute_dtype(Precision precision) {
  switch (precision) {
    case Precision::bf16: return torch::kBFloat16;
    case Precision::fp16: return torch::kHalf;
    case Precision::fp32: break;
  }
  return torch::kFloat;
}

MixedPrecision::MixedPrecision(Precision precision, torch::Device device)
    : precision_(precision), device_(device), scale_(precision == Precision::fp16 ? kInitialScale : 1) {
  if (precision == Precision::fp16 && !device.is_cuda()) {
    throw ConfigError("training.precision fp16 needs a CUDA device (LibTorch's CPU autocast has no fp16); on " +
                      device.str() + " use bf16 or fp32");
  }
}

MixedPrecision::Scope::Scope(const MixedPrecision& mp)
    : device_(mp.device().type()), active_(mp.precision() != Precision::fp32) {
  if (!active_) return;
  was_enabled_ = enabled(device_);
  old_dtype_ = dtype(device_);
  set_dtype(device_, compute_dtype(mp.precision()));
  set_enabled(device_, true);
  at::autocast::increment_nesting();
}

MixedPrecision::Scope::~Scope() {
  if (!active_) return;
  // The casts of the weights are cached for one forward pass; the last scope drops them.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_enabled(device_, was_enabled_);
  set_dtype(device_, old_dtype_);
}

bool MixedPrecision::update_scale(bool finite) {
  if (precision_ != Precision::fp16) return false;
  if (!finite) {
    scale_ /= 2;
    good_steps_ = 0;
    return true;
  }
  if (++good_steps_ == kGrowthInterval) {
    scale_ *= 2;
    good_steps_ = 0;
  }
  return false;
}

}  // namespace nmt::train
