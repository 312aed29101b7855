// The explicit 2D heat-diffusion solver: grid storage, domain decomposition, time stepping.
//
// Problem: u_t = Laplace(u) on the unit square, u = 0 on the boundary, N x N interior points
// with spacing h = 1/(N+1).  One explicit (forward Euler) step with r = dt/h^2 is
//   u'(j,i) = u + r * (u(j,i-1) + u(j,i+1) + u(j-1,i) + u(j+1,i) - 4 u),  stable for r <= 1/4.
#ifndef HEAT2D_SOLVER_HPP
#define HEAT2D_SOLVER_HPP

#include <memory>
#include <new>
#include <vector>

#include "stencil.hpp"

namespace heat2d {

constexpr double pi = 3.14159265358979323846;

// ---- Parallel environment --------------------------------------------------------------------

// Initialises MPI (when built with HEAT2D_MPI) for the lifetime of the object.
class Session {
 public:
  Session(int& argc, char**& argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
};

int mpi_rank();        // 0 without MPI
int mpi_size();        // 1 without MPI
int openmp_threads();  // 1 without OpenMP
double wall_time();    // seconds
double max_over_ranks(double value);
double sum_over_ranks(double value);
bool all_ranks(bool value);      // logical AND over ranks
[[noreturn]] void abort_all(int code);  // MPI_Abort / std::exit

// ---- Domain decomposition --------------------------------------------------------------------

// A block of consecutive interior rows of the N x N grid owned by one rank.
struct Decomposition {
  index_t n = 0;          // global interior size (N)
  index_t first_row = 0;  // global index (0-based) of the first owned interior row
  index_t rows = 0;       // number of owned rows
  int rank = 0;
  int size = 1;

  static Decomposition serial(index_t n);  // the whole grid, no communication
  static Decomposition world(index_t n);   // MPI_COMM_WORLD row blocks (serial without MPI)
  static Decomposition block(index_t n, int rank, int size);
};

// ---- Field -----------------------------------------------------------------------------------

struct AlignedDelete {
  void operator()(double* p) const noexcept { ::operator delete[](p, std::align_val_t(64)); }
};
using AlignedArray = std::unique_ptr<double[], AlignedDelete>;

// The local block with one ghost/boundary layer on each side, (rows+2) x (n+2) values, rows
// padded to a multiple of 64 bytes.  Two buffers, swapped every step.
class Field {
 public:
  explicit Field(const Decomposition& d);
  Field(const Field&) = delete;
  Field& operator=(const Field&) = delete;

  const Decomposition& decomposition() const { return d_; }
  index_t n() const { return d_.n; }
  index_t rows() const { return d_.rows; }
  index_t stride() const { return stride_; }
  // Current values including ghost rows (local row 0 and rows+1) and boundary columns (0, n+1).
  double* data() { return cur_; }
  const double* data() const { return cur_; }

  // u = sin(kx pi x) sin(ky pi y) on the interior, 0 on the boundary; halos exchanged.
  void set_sine_mode(int kx, int ky);

  // `steps` explicit steps with the chosen row kernel (halo exchange included); returns the
  // wall time in seconds (the slowest rank's).
  double advance(int steps, double r, KernelKind kind);

  // Interior values of the whole grid on rank 0, row-major u[j*n + i] (j along y, i along x);
  // empty on the other ranks.
  std::vector<double> gather_interior() const;

  // Normalised amplitude of the discrete sine mode (kx, ky) (see diagnostics.hpp), all ranks.
  double project_sine_mode(int kx, int ky) const;

 private:
  void exchange_halos(double* u) const;

  Decomposition d_;
  index_t stride_;
  AlignedArray a_, b_;
  double* cur_;
  double* next_;
};

}  // namespace heat2d

#endif  // HEAT2D_SOLVER_HPP
