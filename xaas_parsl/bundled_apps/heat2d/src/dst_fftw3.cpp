// DST-I through FFTW: fftw_plan_r2r_2d with FFTW_RODFT00 in both dimensions.  RODFT00 is
// unnormalised, Y_k = 2 sum_j X_j sin(pi (j+1)(k+1) / (N+1)), so the 2D transform is
// Y_kl = 4 sum_{i,j} u sin sin, and the normalised amplitude of diagnostics.hpp,
// a_kl = (2/(N+1))^2 sum_{i,j} u sin sin, is Y_kl / (N+1)^2.
#include <fftw3.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <vector>

#include "diagnostics.hpp"

namespace heat2d {

const char* fft_backend() { return "fftw3"; }

namespace {
struct FftwFree {
  void operator()(double* p) const noexcept { fftw_free(p); }
};
struct PlanDestroy {
  void operator()(fftw_plan_s* p) const noexcept { fftw_destroy_plan(p); }
};
}  // namespace

std::vector<double> dst2d(const std::vector<double>& u, index_t n) {
  const std::size_t nn = static_cast<std::size_t>(n);
  if (n < 1 || n > INT_MAX || u.size() != nn * nn) {
    throw std::invalid_argument("dst2d: field size does not match n*n");
  }
  std::unique_ptr<double, FftwFree> in(fftw_alloc_real(nn * nn));
  std::unique_ptr<double, FftwFree> out(fftw_alloc_real(nn * nn));
  if (!in || !out) {
    throw std::bad_alloc();
  }
  const int ni = static_cast<int>(n);
  // Plan first (FFTW_ESTIMATE does not touch the arrays), then fill the input.
  std::unique_ptr<fftw_plan_s, PlanDestroy> plan(fftw_plan_r2r_2d(
      ni, ni, in.get(), out.get(), FFTW_RODFT00, FFTW_RODFT00, FFTW_ESTIMATE));
  if (!plan) {
    throw std::runtime_error("fftw_plan_r2r_2d failed");
  }
  std::copy(u.begin(), u.end(), in.get());
  fftw_execute(plan.get());

  const double scale = 1.0 / (static_cast<double>(nn + 1) * static_cast<double>(nn + 1));
  std::vector<double> a(nn * nn);
  std::transform(out.get(), out.get() + nn * nn, a.begin(), [scale](double y) { return y * scale; });
  return a;
}

}  // namespace heat2d
