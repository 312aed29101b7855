// AVX2 kernel: four doubles per __m256d, fused multiply-adds.
#if !(defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86))
#error "stencil_avx2.cpp is x86 code"
#endif
#if !defined(__AVX2__) || (!defined(__FMA__) && !defined(_MSC_VER))
#error "stencil_avx2.cpp must be compiled with -mavx2 -mfma"
#endif

#include <immintrin.h>

#include "stencil_kernels.h"

namespace heat2d {
namespace kernels {

namespace {
inline __m256d point4(const double* HEAT2D_RESTRICT north, const double* HEAT2D_RESTRICT centre,
                      const double* HEAT2D_RESTRICT south, __m256d vr, __m256d four) {
  const __m256d c = _mm256_loadu_pd(centre);
  const __m256d w = _mm256_loadu_pd(centre - 1);
  const __m256d e = _mm256_loadu_pd(centre + 1);
  const __m256d sum =
      _mm256_add_pd(_mm256_add_pd(w, e), _mm256_add_pd(_mm256_loadu_pd(north), _mm256_loadu_pd(south)));
  const __m256d lap = _mm256_fnmadd_pd(four, c, sum);  // sum - 4 c
  return _mm256_fmadd_pd(vr, lap, c);                  // c + r * lap
}
}  // namespace

void row_avx2(HEAT2D_ROW_KERNEL_PARAMS) {
  const __m256d vr = _mm256_set1_pd(r);
  const __m256d four = _mm256_set1_pd(4.0);
  const index_t peel = peel_count(out, n, 32);
  index_t i = 0;
  for (; i < peel; ++i) {
    out[i] = stencil_point(north[i], centre[i - 1], centre[i], centre[i + 1], south[i], r);
  }
  // Two vectors per iteration to keep both FMA ports busy.
  for (; i + 8 <= n; i += 8) {
    const __m256d a = point4(north + i, centre + i, south + i, vr, four);
    const __m256d b = point4(north + i + 4, centre + i + 4, south + i + 4, vr, four);
    _mm256_store_pd(out + i, a);  // aligned after the peel
    _mm256_store_pd(out + i + 4, b);
  }
  for (; i + 4 <= n; i += 4) {
    _mm256_store_pd(out + i, point4(north + i, centre + i, south + i, vr, four));
  }
  for (; i < n; ++i) {
    out[i] = stencil_point(north[i], centre[i - 1], centre[i], centre[i + 1], south[i], r);
  }
}

}  // namespace kernels
}  // namespace heat2d
