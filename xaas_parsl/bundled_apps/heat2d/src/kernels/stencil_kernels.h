// Row kernels of the explicit 5-point heat-diffusion stencil, one per SIMD level.
//
// This header is deliberately freestanding: it includes nothing, and uses only compiler-provided
// types, so that every kernel file can be compiled for any target on its own, e.g.
//   clang++ --target=aarch64-linux-gnu -ffreestanding -std=c++17 -O2 -c stencil_neon.cpp
// without a C++ standard library for that target.
#ifndef HEAT2D_STENCIL_KERNELS_H
#define HEAT2D_STENCIL_KERNELS_H

#if defined(__GNUC__) || defined(__clang__) || defined(_MSC_VER)
#define HEAT2D_RESTRICT __restrict
#else
#define HEAT2D_RESTRICT
#endif

namespace heat2d {
namespace kernels {

// Signed index type (ptrdiff_t without <cstddef>).
#if defined(__PTRDIFF_TYPE__)
typedef __PTRDIFF_TYPE__ index_t;
#else
typedef long long index_t;
#endif

// Unsigned integer wide enough for a pointer (uintptr_t without <cstdint>).
#if defined(__UINTPTR_TYPE__)
typedef __UINTPTR_TYPE__ uintptr;
#else
typedef unsigned long long uintptr;
#endif

// One grid point: c + r * ((w + e) + (n + s) - 4 c).  Every path evaluates the same expression
// in the same order (the SIMD paths use fused multiply-adds where the ISA has them, so results
// agree with the scalar reference to within a few ulp, not bit for bit).
inline double stencil_point(double north, double west, double centre, double east, double south,
                            double r) {
  const double sum = (west + east) + (north + south);
  return centre + r * (sum - 4.0 * centre);
}

// Number of leading elements to handle before out + i is aligned to `bytes` (a power of two,
// multiple of sizeof(double)); never more than n.  If `out` is not even aligned to a double
// (possible only on ABIs that align double to 4 bytes), the whole row is "head": the kernels
// then never use an aligned store.
inline index_t peel_count(const double* out, index_t n, uintptr bytes) {
  const uintptr misalignment = reinterpret_cast<uintptr>(out) & (bytes - 1);
  if (misalignment % sizeof(double) != 0) {
    return n;
  }
  const index_t peel =
      misalignment == 0 ? 0 : static_cast<index_t>((bytes - misalignment) / sizeof(double));
  return peel < n ? peel : n;
}

// Row kernel contract (all levels):
//   out[i] = centre[i] + r * ((centre[i-1] + centre[i+1]) + (north[i] + south[i]) - 4 centre[i])
//   for 0 <= i < n.
// centre[-1] and centre[n] must be readable (boundary or ghost values).  `out` must not overlap
// the inputs.  Inputs need no particular alignment (the west/east neighbours are misaligned by
// construction, so loads are unaligned); the x86 kernels peel iterations until `out + i` is
// vector-aligned and then use aligned stores.
#define HEAT2D_ROW_KERNEL_PARAMS                                                             \
  const double *HEAT2D_RESTRICT north, const double *HEAT2D_RESTRICT centre,                 \
      const double *HEAT2D_RESTRICT south, double *HEAT2D_RESTRICT out, index_t n, double r

void row_scalar(HEAT2D_ROW_KERNEL_PARAMS);  // reference, always built (stencil_scalar.cpp)
void row_sse41(HEAT2D_ROW_KERNEL_PARAMS);   // stencil_sse41.cpp,  __m128d
void row_avx2(HEAT2D_ROW_KERNEL_PARAMS);    // stencil_avx2.cpp,   __m256d + FMA
void row_avx512(HEAT2D_ROW_KERNEL_PARAMS);  // stencil_avx512.cpp, __m512d + masks
void row_neon(HEAT2D_ROW_KERNEL_PARAMS);    // stencil_neon.cpp,   float64x2_t

}  // namespace kernels
}  // namespace heat2d

#endif  // HEAT2D_STENCIL_KERNELS_H
