// AVX-512 kernel: eight doubles per __m512d; the unaligned head and the remainder are handled
// with masked loads/stores instead of scalar loops (masked-off lanes are never accessed).
#if !(defined(__x86_64__) || defined(_M_X64))
#error "stencil_avx512.cpp is x86-64 code"
#endif
#if !defined(__AVX512F__)
#error "stencil_avx512.cpp must be compiled with -mavx512f"
#endif

#include <immintrin.h>

#include "stencil_kernels.h"

namespace heat2d {
namespace kernels {

namespace {
inline __m512d lanes8(__m512d nn, __m512d w, __m512d c, __m512d e, __m512d ss, __m512d vr,
                      __m512d four) {
  const __m512d sum = _mm512_add_pd(_mm512_add_pd(w, e), _mm512_add_pd(nn, ss));
  const __m512d lap = _mm512_fnmadd_pd(four, c, sum);  // sum - 4 c
  return _mm512_fmadd_pd(vr, lap, c);                  // c + r * lap
}

// The first `count` (1..8) elements, through masks.
inline void masked8(const double* HEAT2D_RESTRICT north, const double* HEAT2D_RESTRICT centre,
                    const double* HEAT2D_RESTRICT south, double* HEAT2D_RESTRICT out,
                    index_t count, __m512d vr, __m512d four) {
  const __mmask8 m = static_cast<__mmask8>((1u << static_cast<unsigned>(count)) - 1u);
  const __m512d c = _mm512_maskz_loadu_pd(m, centre);
  const __m512d w = _mm512_maskz_loadu_pd(m, centre - 1);
  const __m512d e = _mm512_maskz_loadu_pd(m, centre + 1);
  const __m512d nn = _mm512_maskz_loadu_pd(m, north);
  const __m512d ss = _mm512_maskz_loadu_pd(m, south);
  _mm512_mask_storeu_pd(out, m, lanes8(nn, w, c, e, ss, vr, four));
}
}  // namespace

void row_avx512(HEAT2D_ROW_KERNEL_PARAMS) {
  const __m512d vr = _mm512_set1_pd(r);
  const __m512d four = _mm512_set1_pd(4.0);
  // A misaligned 64-byte store always splits a cache line, so align the stores first.
  const index_t head = peel_count(out, n, 64);
  index_t i = 0;
  while (i < head) {
    const index_t count = head - i < 8 ? head - i : 8;
    masked8(north + i, centre + i, south + i, out + i, count, vr, four);
    i += count;
  }
  for (; i + 8 <= n; i += 8) {
    const __m512d c = _mm512_loadu_pd(centre + i);
    const __m512d w = _mm512_loadu_pd(centre + i - 1);
    const __m512d e = _mm512_loadu_pd(centre + i + 1);
    const __m512d nn = _mm512_loadu_pd(north + i);
    const __m512d ss = _mm512_loadu_pd(south + i);
    _mm512_store_pd(out + i, lanes8(nn, w, c, e, ss, vr, four));  // aligned after the head
  }
  if (i < n) {
    masked8(north + i, centre + i, south + i, out + i, n - i, vr, four);
  }
}

}  // namespace kernels
}  // namespace heat2d
