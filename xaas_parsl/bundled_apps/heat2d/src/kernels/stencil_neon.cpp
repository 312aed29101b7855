// ARM Advanced SIMD (NEON/ASIMD) kernel: two doubles per float64x2_t, fused multiply-adds.
// AArch64 only (double-precision vectors do not exist in 32-bit NEON).  Loads and stores of
// float64x2_t need only element alignment, so there is no peel loop.
#if !(defined(__aarch64__) || defined(_M_ARM64))
#error "stencil_neon.cpp needs an AArch64 target"
#endif

#include <arm_neon.h>

#include "stencil_kernels.h"

namespace heat2d {
namespace kernels {

namespace {
inline float64x2_t point2(const double* HEAT2D_RESTRICT north,
                          const double* HEAT2D_RESTRICT centre,
                          const double* HEAT2D_RESTRICT south, float64x2_t vr, float64x2_t four) {
  const float64x2_t c = vld1q_f64(centre);
  const float64x2_t w = vld1q_f64(centre - 1);
  const float64x2_t e = vld1q_f64(centre + 1);
  const float64x2_t sum = vaddq_f64(vaddq_f64(w, e), vaddq_f64(vld1q_f64(north), vld1q_f64(south)));
  const float64x2_t lap = vfmsq_f64(sum, four, c);  // sum - 4 c
  return vfmaq_f64(c, vr, lap);                      // c + r * lap
}
}  // namespace

void row_neon(HEAT2D_ROW_KERNEL_PARAMS) {
  const float64x2_t vr = vdupq_n_f64(r);
  const float64x2_t four = vdupq_n_f64(4.0);
  index_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float64x2_t a = point2(north + i, centre + i, south + i, vr, four);
    const float64x2_t b = point2(north + i + 2, centre + i + 2, south + i + 2, vr, four);
    vst1q_f64(out + i, a);
    vst1q_f64(out + i + 2, b);
  }
  for (; i + 2 <= n; i += 2) {
    vst1q_f64(out + i, point2(north + i, centre + i, south + i, vr, four));
  }
  for (; i < n; ++i) {
    out[i] = stencil_point(north[i], centre[i - 1], centre[i], centre[i + 1], south[i], r);
  }
}

}  // namespace kernels
}  // namespace heat2d
