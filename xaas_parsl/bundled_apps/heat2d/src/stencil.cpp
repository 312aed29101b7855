// Compile-time selection of the SIMD row kernel from the HEAT2D_SIMD_<LEVEL> definition.
#include "stencil.hpp"

namespace heat2d {

#if defined(HEAT2D_SIMD_AVX_512)
#if !defined(__AVX512F__)
#error "HEAT2D_SIMD=AVX_512 but the compiler does not target AVX-512F (missing -mavx512f?)"
#endif
#define HEAT2D_ROW_KERNEL kernels::row_avx512
#define HEAT2D_SIMD_WIDTH 8
#elif defined(HEAT2D_SIMD_AVX2_256)
#if !defined(__AVX2__)
#error "HEAT2D_SIMD=AVX2_256 but the compiler does not target AVX2 (missing -mavx2 -mfma?)"
#endif
#define HEAT2D_ROW_KERNEL kernels::row_avx2
#define HEAT2D_SIMD_WIDTH 4
#elif defined(HEAT2D_SIMD_SSE4_1)
#if !defined(__SSE4_1__) && !defined(_MSC_VER)
#error "HEAT2D_SIMD=SSE4.1 but the compiler does not target SSE4.1 (missing -msse4.1?)"
#endif
#define HEAT2D_ROW_KERNEL kernels::row_sse41
#define HEAT2D_SIMD_WIDTH 2
#elif defined(HEAT2D_SIMD_ARM_NEON_ASIMD)
#define HEAT2D_ROW_KERNEL kernels::row_neon
#define HEAT2D_SIMD_WIDTH 2
#elif defined(HEAT2D_SIMD_NONE)
#define HEAT2D_ROW_KERNEL kernels::row_scalar
#define HEAT2D_SIMD_WIDTH 1
#else
#error "No HEAT2D_SIMD_<LEVEL> definition: configure with CMake (HEAT2D_SIMD)"
#endif

#ifndef HEAT2D_SIMD_NAME
#error "HEAT2D_SIMD_NAME is set by CMake"
#endif
#ifndef HEAT2D_SIMD_REQUESTED
#define HEAT2D_SIMD_REQUESTED HEAT2D_SIMD_NAME
#endif

RowKernel row_kernel(KernelKind kind) {
  return kind == KernelKind::Simd ? &HEAT2D_ROW_KERNEL : &kernels::row_scalar;
}

const char* simd_level() { return HEAT2D_SIMD_NAME; }
const char* simd_requested() { return HEAT2D_SIMD_REQUESTED; }
int simd_width() { return HEAT2D_SIMD_WIDTH; }

}  // namespace heat2d
