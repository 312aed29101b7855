// SSE4.1 kernel: two doubles per __m128d.
#if !(defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86))
#error "stencil_sse41.cpp is x86 code"
#endif
#if !defined(__SSE4_1__) && !defined(_MSC_VER)
#error "stencil_sse41.cpp must be compiled with -msse4.1"
#endif

#include <smmintrin.h>

#include "stencil_kernels.h"

namespace heat2d {
namespace kernels {

void row_sse41(HEAT2D_ROW_KERNEL_PARAMS) {
  const __m128d vr = _mm_set1_pd(r);
  const __m128d four = _mm_set1_pd(4.0);
  const index_t peel = peel_count(out, n, 16);
  index_t i = 0;
  for (; i < peel; ++i) {
    out[i] = stencil_point(north[i], centre[i - 1], centre[i], centre[i + 1], south[i], r);
  }
  for (; i + 2 <= n; i += 2) {
    const __m128d c = _mm_loadu_pd(centre + i);
    const __m128d w = _mm_loadu_pd(centre + i - 1);
    const __m128d e = _mm_loadu_pd(centre + i + 1);
    const __m128d nn = _mm_loadu_pd(north + i);
    const __m128d ss = _mm_loadu_pd(south + i);
    const __m128d sum = _mm_add_pd(_mm_add_pd(w, e), _mm_add_pd(nn, ss));
    const __m128d lap = _mm_sub_pd(sum, _mm_mul_pd(four, c));
    _mm_store_pd(out + i, _mm_add_pd(c, _mm_mul_pd(vr, lap)));  // aligned after the peel
  }
  for (; i < n; ++i) {
    out[i] = stencil_point(north[i], centre[i - 1], centre[i], centre[i + 1], south[i], r);
  }
}

}  // namespace kernels
}  // namespace heat2d
