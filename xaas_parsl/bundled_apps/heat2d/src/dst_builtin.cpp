// Built-in DST-I: the transform matrix M[k][i] = sin((k+1)(i+1) pi / (N+1)) applied along x and
// then along y (two N^3 matrix products; plenty for diagnostic-sized grids, no dependencies).
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include "diagnostics.hpp"
#include "solver.hpp"

namespace heat2d {

const char* fft_backend() { return "builtin"; }

std::vector<double> dst2d(const std::vector<double>& u, index_t n) {
  const std::size_t nn = static_cast<std::size_t>(n);
  if (n < 1 || u.size() != nn * nn) {
    throw std::invalid_argument("dst2d: field size does not match n*n");
  }
  // sin(m pi / (N+1)) for m = 0 .. 2(N+1)-1; M[k][i] uses m = (k+1)(i+1) mod 2(N+1), which keeps
  // the argument small and the table entries exact to one rounding.
  const std::size_t period = 2 * (nn + 1);
  std::vector<double> table(period);
  for (std::size_t m = 0; m < period; ++m) {
    table[m] = std::sin(pi * static_cast<double>(m) / static_cast<double>(nn + 1));
  }
  std::vector<double> matrix(nn * nn);  // symmetric
  for (std::size_t k = 0; k < nn; ++k) {
    for (std::size_t i = 0; i < nn; ++i) {
      matrix[k * nn + i] = table[((k + 1) * (i + 1)) % period];
    }
  }

  // Along x: t[j][k] = sum_i u[j][i] M[i][k]
  std::vector<double> t(nn * nn, 0.0);
  for (std::size_t j = 0; j < nn; ++j) {
    double* trow = &t[j * nn];
    for (std::size_t i = 0; i < nn; ++i) {
      const double w = u[j * nn + i];
      const double* mrow = &matrix[i * nn];
      for (std::size_t k = 0; k < nn; ++k) {
        trow[k] += w * mrow[k];
      }
    }
  }
  // Along y: a[l][k] = scale * sum_j M[l][j] t[j][k]
  const double scale = 4.0 / (static_cast<double>(nn + 1) * static_cast<double>(nn + 1));
  std::vector<double> a(nn * nn, 0.0);
  for (std::size_t l = 0; l < nn; ++l) {
    double* arow = &a[l * nn];
    for (std::size_t j = 0; j < nn; ++j) {
      const double w = matrix[l * nn + j];
      const double* trow = &t[j * nn];
      for (std::size_t k = 0; k < nn; ++k) {
        arow[k] += w * trow[k];
      }
    }
    for (std::size_t k = 0; k < nn; ++k) {
      arow[k] *= scale;
    }
  }
  return a;
}

}  // namespace heat2d
