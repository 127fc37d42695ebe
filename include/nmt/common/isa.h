// The x86 vector instruction sets nmt's own kernels are built for, which of them
// this CPU runs, and which one the kernels take.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace nmt {

/// Ordered: each level runs everything the ones below it run.
enum class Isa {
  baseline,  ///< x86-64's SSE2, or any other CPU
  avx2,      ///< AVX2 and FMA
  avx512,    ///< AVX-512 F, BW, DQ and VL
};

/// "baseline", "avx2", "avx512": the names NMT_CPU_ISA takes.
std::string_view name_of(Isa isa);
std::optional<Isa> parse_isa(std::string_view name);

/// The highest level this CPU runs.
Isa host_isa();

/// The levels this CPU runs, lowest first.
std::vector<Isa> runnable_isas();

/// The level the NMT_CPU_ISA environment variable asks for, if set: every
/// kernel, nmt's and its libraries', then runs as on a CPU of that level
/// (tune_process tells the libraries). Throws ConfigError naming the
/// variable for an unknown level or one above host_isa().
std::optional<Isa> requested_isa();

/// The level the kernels in nmt/model/fused.h take: NMT_CPU_ISA's where it is
/// valid, else host_isa(); set_kernel_isa changes it.
Isa kernel_isa();

/// For tests: makes the kernels take `isa`, which must be runnable here.
void set_kernel_isa(Isa isa);

/// Whose sgemm runs nmt's layers on the CPU (nmt/model/fused.h), as the
/// NMT_GEMM environment variable says:
///  - "auto" (the default): per product, whichever of oneDNN's and OpenBLAS's
///    is faster for its shape on this CPU (nmt::model::gemm_for);
///  - "onednn": oneDNN's for every product;
///  - "libtorch": LibTorch's own products (OpenBLAS behind Debian's build).
/// Throws ConfigError naming the variable for any other value.
enum class Gemm { automatic, onednn, libtorch };
Gemm requested_gemm();

}  // namespace nmt
