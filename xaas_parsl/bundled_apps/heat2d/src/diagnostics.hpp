// Spectral diagnostic: 2D discrete sine transform (DST-I) of the interior field.
//
// The discrete sine modes  phi_kl(i, j) = sin(k pi x_i) sin(l pi y_j),  x_i = i h, h = 1/(N+1),
// k, l = 1..N, are exact eigenvectors of the explicit step with Dirichlet boundaries:
//   step(phi_kl) = lambda_kl phi_kl,  lambda_kl = 1 - 4 r (sin^2(k pi h / 2) + sin^2(l pi h / 2)).
// So the amplitude of each mode after S steps is exactly lambda_kl^S times its initial amplitude.
#ifndef HEAT2D_DIAGNOSTICS_HPP
#define HEAT2D_DIAGNOSTICS_HPP

#include <vector>

#include "stencil.hpp"

namespace heat2d {

// "builtin" or "fftw3" (HEAT2D_FFT).
const char* fft_backend();

// Normalised 2D DST-I of an n x n field u[j*n + i] (j along y, i along x).  Returns a[(l-1)*n +
// (k-1)], the amplitudes with  u(i, j) = sum_{k,l} a_kl sin(k pi x_i) sin(l pi y_j),  i.e.
//   a_kl = (2/(N+1))^2 sum_{i,j} u(i, j) sin(k pi x_i) sin(l pi y_j).
// Implemented in dst_builtin.cpp (O(N^3) matrix form) or dst_fftw3.cpp (FFTW RODFT00).
std::vector<double> dst2d(const std::vector<double>& u, index_t n);

// Eigenvalue lambda_kl of the explicit step (see above).
double mode_eigenvalue(index_t n, double r, int kx, int ky);

}  // namespace heat2d

#endif  // HEAT2D_DIAGNOSTICS_HPP
