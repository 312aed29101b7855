// Selection of the row kernel built into this binary (HEAT2D_SIMD).
#ifndef HEAT2D_STENCIL_HPP
#define HEAT2D_STENCIL_HPP

#include "kernels/stencil_kernels.h"

namespace heat2d {

using kernels::index_t;

// Signature of a row kernel (see kernels/stencil_kernels.h for the contract).
using RowKernel = void (*)(const double*, const double*, const double*, double*, index_t, double);

enum class KernelKind {
  Simd,       // the kernel of the configured HEAT2D_SIMD level
  Reference,  // the scalar reference kernel
};

RowKernel row_kernel(KernelKind kind);

// Configured SIMD level ("None", "SSE4.1", "AVX2_256", "AVX_512", "ARM_NEON_ASIMD").
const char* simd_level();
// What HEAT2D_SIMD was set to at configure time (e.g. "AUTO").
const char* simd_requested();
// Doubles per vector register of the configured level (1 for None).
int simd_width();

}  // namespace heat2d

#endif  // HEAT2D_STENCIL_HPP
