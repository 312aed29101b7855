// heat2d: run the explicit 2D heat-diffusion stencil and report its speed.
//
//   heat2d [--n N] [--steps S] [--r R] [--gpu] [--reference]
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>

#include "cpu_check.hpp"
#include "diagnostics.hpp"
#include "gpu.hpp"
#include "options.hpp"
#include "solver.hpp"

namespace {

const char* const kUsage =
    "usage: heat2d [--n N] [--steps S] [--r R] [--gpu] [--reference]\n"
    "  Explicit 2D heat diffusion (5-point stencil) on an N x N interior grid, Dirichlet\n"
    "  boundaries, initial field sin(pi x) sin(pi y).\n"
    "  --n N        interior grid points per dimension (default 512)\n"
    "  --steps S    time steps (default 200)\n"
    "  --r R        dt/h^2, stable for R <= 0.25 (default 0.2)\n"
    "  --gpu        run the steps on the GPU back end (HEAT2D_GPU=CUDA|HIP builds, one rank)\n"
    "  --reference  use the scalar reference kernel instead of the SIMD kernel\n";

constexpr double kFlopsPerPoint = 7.0;   // 3 adds (neighbours), 4c, -, *r, +c
constexpr double kBytesPerPoint = 16.0;  // one read + one write of a double, ideal caching

struct Options {
  long n = 512;
  long steps = 200;
  double r = 0.2;
  bool gpu = false;
  bool reference = false;
  bool help = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int k = 1; k < argc; ++k) {
    const std::string arg = argv[k];
    const char* value = k + 1 < argc ? argv[k + 1] : nullptr;
    if (arg == "--n") {
      o.n = heat2d::parse_long(arg, value, 1, 1L << 20);
      ++k;
    } else if (arg == "--steps") {
      o.steps = heat2d::parse_long(arg, value, 0, 1L << 30);
      ++k;
    } else if (arg == "--r") {
      o.r = heat2d::parse_double(arg, value, 0.0, 0.25);
      ++k;
    } else if (arg == "--gpu") {
      o.gpu = true;
    } else if (arg == "--reference") {
      o.reference = true;
    } else if (arg == "--help" || arg == "-h") {
      o.help = true;
    } else {
      throw std::invalid_argument("unknown argument '" + arg + "'");
    }
  }
  return o;
}

int run(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const int rank = heat2d::mpi_rank();
  if (o.help) {
    if (rank == 0) {
      std::fputs(kUsage, stdout);
    }
    return 0;
  }
  if (o.gpu && !heat2d::gpu::enabled()) {
    throw std::invalid_argument("--gpu: this heat2d was built with HEAT2D_GPU=OFF");
  }
  if (o.gpu && heat2d::mpi_size() > 1) {
    throw std::invalid_argument("--gpu runs on a single rank");
  }

  heat2d::Field field(heat2d::Decomposition::world(o.n));
  field.set_sine_mode(1, 1);
  double seconds = 0.0;
  std::string device = "cpu";
  if (o.gpu) {
    device = std::string(heat2d::gpu::backend()) + " " + heat2d::gpu::device_name();
    seconds = heat2d::gpu::run(field.data(), o.n, field.stride(), static_cast<int>(o.steps), o.r);
  } else {
    seconds = field.advance(static_cast<int>(o.steps), o.r,
                            o.reference ? heat2d::KernelKind::Reference : heat2d::KernelKind::Simd);
  }
  const double amplitude = field.project_sine_mode(1, 1);
  const double expected = std::pow(heat2d::mode_eigenvalue(o.n, o.r, 1, 1), o.steps);
  const double rel_error = std::fabs(amplitude - expected) / std::fabs(expected);
  const bool ok = rel_error < 1e-8;

  if (rank == 0) {
    const double updates = static_cast<double>(o.n) * static_cast<double>(o.n) *
                           static_cast<double>(o.steps);
    const double safe_seconds = seconds > 0.0 ? seconds : 1e-30;
    std::printf("heat2d %s: explicit 2D heat diffusion, 5-point stencil\n", HEAT2D_VERSION);
    std::printf("  simd       : %s (HEAT2D_SIMD=%s, %d doubles/vector)%s\n", heat2d::simd_level(),
                heat2d::simd_requested(), heat2d::simd_width(),
                o.reference ? " -- running the scalar reference kernel" : "");
    std::printf("  parallel   : OpenMP threads %d, MPI ranks %d\n", heat2d::openmp_threads(),
                heat2d::mpi_size());
    std::printf("  gpu        : %s\n", heat2d::gpu::backend());
    std::printf("  device     : %s\n", device.c_str());
    std::printf("  grid       : %ld x %ld interior points, %ld steps, r = %g\n", o.n, o.n,
                o.steps, o.r);
    std::printf("  time       : %.6f s (%.4f ms/step)\n", seconds,
                o.steps > 0 ? 1e3 * seconds / static_cast<double>(o.steps) : 0.0);
    std::printf("  throughput : %.3f Gpoint/s, %.3f GFLOP/s (%.0f flop/point), %.2f GB/s (%.0f B/point)\n",
                1e-9 * updates / safe_seconds, 1e-9 * kFlopsPerPoint * updates / safe_seconds,
                kFlopsPerPoint, 1e-9 * kBytesPerPoint * updates / safe_seconds, kBytesPerPoint);
    std::printf("  check      : mode (1,1) amplitude %.15g, expected %.15g, rel. error %.2e -> %s\n",
                amplitude, expected, rel_error, ok ? "ok" : "WRONG");
  }
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* problem = heat2d::cpu_support_problem()) {
    std::fprintf(stderr, "heat2d: error: %s\n", problem);
    return 2;
  }
  heat2d::Session session(argc, argv);
  try {
    return run(argc, argv);
  } catch (const std::invalid_argument& e) {
    if (heat2d::mpi_rank() == 0) {
      std::fprintf(stderr, "heat2d: error: %s\n%s", e.what(), kUsage);
    }
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "heat2d: error: %s\n", e.what());
    heat2d::abort_all(1);
  }
}
