// heat2d-test: numerical check of the built kernel against the exact discrete solution.
//
// Initial field u = sin(pi x) sin(pi y) is the (1,1) discrete sine mode, an exact eigenvector of
// the explicit step: after S steps u = lambda^S sin(pi x) sin(pi y), lambda = 1 - 8 r sin^2(pi h/2).
// For each case we run S steps with the configured kernel (SIMD level, OpenMP, MPI ranks), take
// the 2D DST of the result (HEAT2D_FFT back end), and check
//   (a) the (1,1) amplitude equals lambda^S to relative 1e-9,
//   (b) every other mode amplitude is below 1e-9 relative to it,
//   (c) the field matches the scalar reference kernel (serial, on rank 0) element-wise,
//   (d) the field matches lambda^S sin(pi x) sin(pi y) element-wise,
//   (e) GPU builds: the GPU result matches the scalar reference element-wise.
// Grid sizes are deliberately not multiples of any vector width, so remainder paths run.  Before
// that, a kernel self-test runs the SIMD row kernel on random rows of every length 0..40 at every
// 8-byte offset within a 64-byte line (all peel/remainder combinations) against the reference,
// and checks that nothing outside [0, n) is written.
//
//   heat2d-test [--n N --steps S] [--no-gpu]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "cpu_check.hpp"
#include "diagnostics.hpp"
#include "gpu.hpp"
#include "options.hpp"
#include "solver.hpp"

namespace {

constexpr double kR = 0.2;
constexpr double kModeTolerance = 1e-9;      // (a), (b), (d): relative to lambda^S
constexpr double kKernelTolerance = 1e-11;   // (c), (e): relative to max |u_ref|

struct Case {
  long n;
  long steps;
};

double max_abs(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v) {
    m = std::max(m, std::fabs(x));
  }
  return m;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    m = std::max(m, std::fabs(a[k] - b[k]));
  }
  return m;
}

// Row-kernel self-test (rank-local).  Returns true when the SIMD kernel agrees with the scalar
// reference to a few ulp and writes exactly out[0..n).
bool kernel_selftest() {
  constexpr long kMaxLength = 40;
  constexpr long kOffsets = 8;  // every double position within a 64-byte line
  constexpr long kSlack = 16;
  constexpr double kGuard = -12345.0;
  const long size = kMaxLength + 2 * kSlack;
  auto aligned = [size]() {
    return heat2d::AlignedArray(static_cast<double*>(
        ::operator new[](static_cast<std::size_t>(size) * sizeof(double), std::align_val_t(64))));
  };
  heat2d::AlignedArray north = aligned(), centre = aligned(), south = aligned();
  heat2d::AlignedArray out_simd = aligned(), out_ref = aligned();
  std::mt19937_64 rng(20250101);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  const heat2d::RowKernel simd = heat2d::row_kernel(heat2d::KernelKind::Simd);
  const heat2d::RowKernel ref = heat2d::row_kernel(heat2d::KernelKind::Reference);

  double max_rel = 0.0;
  bool guards_ok = true;
  for (long n = 0; n <= kMaxLength; ++n) {
    for (long offset = 0; offset < kOffsets; ++offset) {
      for (long k = 0; k < size; ++k) {
        north[k] = dist(rng);
        centre[k] = dist(rng);
        south[k] = dist(rng);
        out_simd[k] = kGuard;
        out_ref[k] = kGuard;
      }
      const long start = kSlack / 2 + offset;  // centre[start - 1] and centre[start + n] valid
      simd(north.get() + start, centre.get() + start, south.get() + start, out_simd.get() + start,
           n, kR);
      ref(north.get() + start, centre.get() + start, south.get() + start, out_ref.get() + start, n,
          kR);
      for (long k = 0; k < size; ++k) {
        if (k < start || k >= start + n) {
          guards_ok = guards_ok && out_simd[k] == kGuard;
        } else {
          // values are O(1): compare against 1 + |ref| to stay meaningful near zero
          max_rel = std::max(max_rel, std::fabs(out_simd[k] - out_ref[k]) /
                                          (1.0 + std::fabs(out_ref[k])));
        }
      }
    }
  }
  const bool ok = guards_ok && max_rel < 1e-14;
  std::printf("heat2d-test: kernel self-test %s (%ld lengths x %ld offsets): max diff vs reference="
              "%.2e, writes outside the row: %s -> %s\n",
              heat2d::simd_level(), kMaxLength + 1, kOffsets, max_rel, guards_ok ? "none" : "YES",
              ok ? "ok" : "FAILED");
  return ok;
}

std::vector<double> reference_solution(long n, long steps) {
  heat2d::Field ref(heat2d::Decomposition::serial(n));
  ref.set_sine_mode(1, 1);
  ref.advance(static_cast<int>(steps), kR, heat2d::KernelKind::Reference);
  return ref.gather_interior();
}

// Runs one case on all ranks; returns the verdict (meaningful on rank 0, true elsewhere).
bool run_case(const Case& c, bool use_gpu) {
  const int rank = heat2d::mpi_rank();
  heat2d::Field field(heat2d::Decomposition::world(c.n));
  field.set_sine_mode(1, 1);
  field.advance(static_cast<int>(c.steps), kR, heat2d::KernelKind::Simd);
  const std::vector<double> u = field.gather_interior();  // whole grid on rank 0
  if (rank != 0) {
    return true;
  }

  const std::size_t n = static_cast<std::size_t>(c.n);
  const double expected = std::pow(heat2d::mode_eigenvalue(c.n, kR, 1, 1), c.steps);

  // (a), (b): spectral check
  const std::vector<double> a = heat2d::dst2d(u, c.n);
  const double a11_error = std::fabs(a[0] - expected) / std::fabs(expected);
  double other = 0.0;
  for (std::size_t k = 1; k < a.size(); ++k) {
    other = std::max(other, std::fabs(a[k]));
  }
  other /= std::fabs(expected);

  // (c): scalar reference kernel
  const std::vector<double> u_ref = reference_solution(c.n, c.steps);
  const double ref_error = max_abs_diff(u, u_ref) / max_abs(u_ref);

  // (d): exact discrete solution
  const double h = 1.0 / static_cast<double>(n + 1);
  double exact_error = 0.0;
  for (std::size_t j = 0; j < n; ++j) {
    const double sy = std::sin(heat2d::pi * static_cast<double>(j + 1) * h);
    for (std::size_t i = 0; i < n; ++i) {
      const double exact = expected * sy * std::sin(heat2d::pi * static_cast<double>(i + 1) * h);
      exact_error = std::max(exact_error, std::fabs(u[j * n + i] - exact));
    }
  }
  exact_error /= std::fabs(expected);

  double checksum = 0.0;
  for (double x : u) {
    checksum += x;
  }

  bool ok = a11_error < kModeTolerance && other < kModeTolerance &&
            ref_error < kKernelTolerance && exact_error < kModeTolerance;
  std::printf("heat2d-test: case n=%ld steps=%ld: a11=%.15g expected=%.15g rel.err=%.2e, "
              "other modes max=%.2e, vs reference=%.2e, vs exact=%.2e, checksum=%.17g",
              c.n, c.steps, a[0], expected, a11_error, other, ref_error, exact_error, checksum);

  // (e): GPU back end
  if (use_gpu) {
    heat2d::Field g(heat2d::Decomposition::serial(c.n));
    g.set_sine_mode(1, 1);
    heat2d::gpu::run(g.data(), c.n, g.stride(), static_cast<int>(c.steps), kR);
    const double gpu_error = max_abs_diff(g.gather_interior(), u_ref) / max_abs(u_ref);
    ok = ok && gpu_error < kKernelTolerance;
    std::printf(", gpu vs reference=%.2e", gpu_error);
  }
  std::printf(" -> %s\n", ok ? "ok" : "FAILED");
  std::fflush(stdout);
  return ok;
}

int run(int argc, char** argv) {
  std::vector<Case> cases = {{7, 40}, {61, 500}, {253, 300}};
  long n = 0;
  long steps = -1;
  bool use_gpu = heat2d::gpu::enabled();
  for (int k = 1; k < argc; ++k) {
    const std::string arg = argv[k];
    const char* value = k + 1 < argc ? argv[k + 1] : nullptr;
    if (arg == "--n") {
      n = heat2d::parse_long(arg, value, 1, 1L << 14);
      ++k;
    } else if (arg == "--steps") {
      steps = heat2d::parse_long(arg, value, 0, 1L << 20);
      ++k;
    } else if (arg == "--no-gpu") {
      use_gpu = false;
    } else {
      throw std::invalid_argument("unknown argument '" + arg +
                                  "' (usage: heat2d-test [--n N --steps S] [--no-gpu])");
    }
  }
  if ((n > 0) != (steps >= 0)) {
    throw std::invalid_argument("--n and --steps go together");
  }
  if (n > 0) {
    cases = {{n, steps}};
  }

  const int rank = heat2d::mpi_rank();
  if (rank == 0 && use_gpu) {
    std::printf("heat2d-test: GPU %s device: %s\n", heat2d::gpu::backend(),
                heat2d::gpu::device_name().c_str());
  }
  bool ok = rank == 0 ? kernel_selftest() : true;
  for (const Case& c : cases) {
    ok = run_case(c, use_gpu) && ok;
  }
  ok = heat2d::all_ranks(ok);
  if (rank == 0) {
    std::printf("heat2d-test: %s simd=%s fft=%s openmp_threads=%d mpi_ranks=%d gpu=%s cases=%zu\n",
                ok ? "PASS" : "FAIL", heat2d::simd_level(), heat2d::fft_backend(),
                heat2d::openmp_threads(), heat2d::mpi_size(),
                use_gpu ? heat2d::gpu::backend() : "OFF", cases.size());
  }
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* problem = heat2d::cpu_support_problem()) {
    std::fprintf(stderr, "heat2d-test: error: %s\n", problem);
    std::printf("heat2d-test: FAIL %s\n", problem);
    return 2;
  }
  heat2d::Session session(argc, argv);
  try {
    return run(argc, argv);
  } catch (const std::invalid_argument& e) {
    if (heat2d::mpi_rank() == 0) {
      std::fprintf(stderr, "heat2d-test: error: %s\n", e.what());
    }
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "heat2d-test: error: %s\n", e.what());
    std::printf("heat2d-test: FAIL (%s)\n", e.what());
    std::fflush(stdout);
    heat2d::abort_all(1);
  }
}
