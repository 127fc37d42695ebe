#include "nmt/common/isa.h"

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>


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
  const char* value = std::getenv("NMT_CPU_ISA");
  if (value == nullptr || *value == '\0') return std::nullopt;
  const auto isa = parse_isa(value);
  if (!isa) throw std::invalid_argument(std::string("NMT_CPU_ISA=") + value + ": not baseline, avx2 or avx512");
  if (*isa > host_isa())
    throw std::invalid_argument(std::string("NMT_CPU_ISA=") + value + ": this CPU runs up to " +
                                std::string(name_of(host_isa())));
  return isa;
}

Gemm requested_gemm() {
  const char* value = std::getenv("NMT_GEMM");
  if (value == nullptr || *value == '\0' || std::string_view(value) == "auto") return Gemm::automatic;
  if (std::string_view(value) == "onednn") return Gemm::onednn;
  if (std::string_view(value) == "libtorch") return Gemm::libtorch;
  throw std::invalid_argument(std::string("NMT_GEMM=") + value + ": not auto, onednn or libtorch");
}

Isa kernel_isa() { return chosen().load(std::memory_order_relaxed); }

void set_kernel_isa(Isa isa) {
  if (isa > host_isa())
    throw std::invalid_argument("set_kernel_isa: this CPU does not run " + std::string(name_of(isa)));
  chosen().store(isa, std::memory_order_relaxed);
}

}  // namespace nmt
