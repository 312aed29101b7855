#include "diagnostics.hpp"

#include <cmath>

#include "solver.hpp"

namespace heat2d {

double mode_eigenvalue(index_t n, double r, int kx, int ky) {
  const double h = 1.0 / static_cast<double>(n + 1);
  const double sx = std::sin(0.5 * kx * pi * h);
  const double sy = std::sin(0.5 * ky * pi * h);
  return 1.0 - 4.0 * r * (sx * sx + sy * sy);
}

}  // namespace heat2d
