// Scalar reference kernel: plain loop, any architecture.
#include "stencil_kernels.h"

namespace heat2d {
namespace kernels {

void row_scalar(HEAT2D_ROW_KERNEL_PARAMS) {
  for (index_t i = 0; i < n; ++i) {
    out[i] = stencil_point(north[i], centre[i - 1], centre[i], centre[i + 1], south[i], r);
  }
}

}  // namespace kernels
}  // namespace heat2d
