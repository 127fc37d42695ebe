#include "nmt/common/isa.h"

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "nmt/common/environment.h"
#include "nmt/common/error.h"

namespace nmt {
namespace {

constexpr std::string_view kNames[] = {"baseline", "avx2", "avx512"};

Isa detect() {
#if defined(__GNUC__) && defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl"))
    return Isa::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::avx2;
#endif
  return Isa::baseline;
}

std::atomic<Isa>& chosen() {
  static std::atomic<Isa> isa{requested_isa().value_or(host_isa())};
  return isa;
}

}  // namespace

std::string_view name_of(Isa isa) { return kNames[static_cast<int>(isa)]; }

std::optional<Isa> parse_isa(std::string_view name) {
  for (int i = 0; i < 3; ++i)
    if (name == kNames[i]) return static_cast<Isa>(i);
  return std::nullopt;
}

Isa host_isa() {
  static const Isa isa = detect();
  return isa;
}

std::vector<Isa> runnable_isas() {
  std::vector<Isa> out;
  for (int i = 0; i <= static_cast<int>(host_isa()); ++i) out.push_back(static_cast<Isa>(i));
  return out;
}

std::optional<Isa> requested_isa() {
  const auto value = env::get(env::kCpuIsa);
  if (!value) return std::nullopt;
  const auto isa = parse_isa(env::choice(env::kCpuIsa, *value));
  if (*isa > host_isa()) {
    throw ConfigError(env::assignment(env::kCpuIsa, *value) + ": this CPU runs up to " +
                      std::string(name_of(host_isa())));
  }
  return isa;
}

Gemm requested_gemm() {
  const auto value = env::get(env::kGemm);
  const std::string_view name = value ? env::choice(env::kGemm, *value) : "auto";
  return name == "onednn" ? Gemm::onednn : name == "libtorch" ? Gemm::libtorch : Gemm::automatic;
}

Isa kernel_isa() { return chosen().load(std::memory_order_relaxed); }

void set_kernel_isa(Isa isa) {
  if (isa > host_isa())
    throw std::invalid_argument("set_kernel_isa: this CPU does not run " + std::string(name_of(isa)));
  chosen().store(isa, std::memory_order_relaxed);
}

}  // namespace nmt
