#include "solver.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>

#if defined(HEAT2D_USE_OPENMP)
#include <omp.h>
#define HEAT2D_STRINGIFY(x) #x
#define HEAT2D_OMP(args) _Pragma(HEAT2D_STRINGIFY(omp args))
#else
#define HEAT2D_OMP(args)
#endif

#if defined(HEAT2D_USE_MPI)
#include <mpi.h>
#endif

namespace heat2d {

// ---- Parallel environment --------------------------------------------------------------------

Session::Session(int& argc, char**& argv) {
#if defined(HEAT2D_USE_MPI)
  int provided = MPI_THREAD_SINGLE;
  // Only the master thread communicates (halo exchange inside `omp master`).
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  if (provided < MPI_THREAD_FUNNELED && openmp_threads() > 1 && mpi_rank() == 0) {
    std::fprintf(stderr, "heat2d: warning: MPI provides no MPI_THREAD_FUNNELED support\n");
  }
#else
  (void)argc;
  (void)argv;
#endif
}

Session::~Session() {
#if defined(HEAT2D_USE_MPI)
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) {
    MPI_Finalize();
  }
#endif
}

int mpi_rank() {
#if defined(HEAT2D_USE_MPI)
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
#else
  return 0;
#endif
}

int mpi_size() {
#if defined(HEAT2D_USE_MPI)
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
#else
  return 1;
#endif
}

int openmp_threads() {
#if defined(HEAT2D_USE_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}

double wall_time() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

double max_over_ranks(double value) {
#if defined(HEAT2D_USE_MPI)
  double result = value;
  MPI_Allreduce(&value, &result, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return result;
#else
  return value;
#endif
}

double sum_over_ranks(double value) {
#if defined(HEAT2D_USE_MPI)
  double result = value;
  MPI_Allreduce(&value, &result, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return result;
#else
  return value;
#endif
}

bool all_ranks(bool value) {
#if defined(HEAT2D_USE_MPI)
  int local = value ? 1 : 0;
  int result = local;
  MPI_Allreduce(&local, &result, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
  return result != 0;
#else
  return value;
#endif
}

void abort_all(int code) {
#if defined(HEAT2D_USE_MPI)
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) {
    MPI_Abort(MPI_COMM_WORLD, code);
  }
#endif
  std::exit(code);
}

// ---- Decomposition ---------------------------------------------------------------------------

Decomposition Decomposition::block(index_t n, int rank, int size) {
  if (n < 1) {
    throw std::invalid_argument("grid size must be at least 1");
  }
  if (size < 1 || rank < 0 || rank >= size) {
    throw std::invalid_argument("invalid rank/size");
  }
  if (n < size) {
    throw std::invalid_argument("grid has " + std::to_string(n) + " rows, fewer than the " +
                                std::to_string(size) + " MPI ranks");
  }
  Decomposition d;
  d.n = n;
  d.rank = rank;
  d.size = size;
  const index_t base = n / size;
  const index_t extra = n % size;  // the first `extra` ranks get one more row
  d.rows = base + (rank < extra ? 1 : 0);
  d.first_row = rank * base + std::min<index_t>(rank, extra);
  return d;
}

Decomposition Decomposition::serial(index_t n) { return block(n, 0, 1); }

Decomposition Decomposition::world(index_t n) { return block(n, mpi_rank(), mpi_size()); }

// ---- Field -----------------------------------------------------------------------------------

namespace {
constexpr index_t kAlignDoubles = 64 / sizeof(double);

AlignedArray allocate(index_t count) {
  void* p = ::operator new[](static_cast<std::size_t>(count) * sizeof(double), std::align_val_t(64));
  return AlignedArray(static_cast<double*>(p));
}
}  // namespace

Field::Field(const Decomposition& d)
    : d_(d),
      stride_(((d.n + 2 + kAlignDoubles - 1) / kAlignDoubles) * kAlignDoubles),
      a_(allocate((d.rows + 2) * stride_)),
      b_(allocate((d.rows + 2) * stride_)),
      cur_(a_.get()),
      next_(b_.get()) {
  double* const a = cur_;
  double* const b = next_;
  const index_t s = stride_;
  const index_t total_rows = d_.rows + 2;
  // First touch with the same static row schedule as the time steps (NUMA placement).
  HEAT2D_OMP(parallel for schedule(static))
  for (index_t j = 0; j < total_rows; ++j) {
    std::fill(a + j * s, a + (j + 1) * s, 0.0);
    std::fill(b + j * s, b + (j + 1) * s, 0.0);
  }
}

void Field::set_sine_mode(int kx, int ky) {
  const index_t n = d_.n;
  const index_t s = stride_;
  const double h = 1.0 / static_cast<double>(n + 1);
  std::vector<double> sx(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) {
    sx[static_cast<std::size_t>(i)] = std::sin(kx * pi * static_cast<double>(i + 1) * h);
  }
  double* const u = cur_;
  const index_t rows = d_.rows;
  const index_t first = d_.first_row;
  HEAT2D_OMP(parallel for schedule(static))
  for (index_t j = 1; j <= rows; ++j) {
    const double sy = std::sin(ky * pi * static_cast<double>(first + j) * h);
    double* row = u + j * s;
    for (index_t i = 0; i < n; ++i) {
      row[i + 1] = sy * sx[static_cast<std::size_t>(i)];
    }
  }
  exchange_halos(cur_);
}

double Field::advance(int steps, double r, KernelKind kind) {
  const RowKernel row = row_kernel(kind);
  const index_t n = d_.n;
  const index_t rows = d_.rows;
  const index_t s = stride_;
  double* cur = cur_;
  double* next = next_;

#if defined(HEAT2D_USE_MPI)
  if (d_.size > 1) {
    MPI_Barrier(MPI_COMM_WORLD);
  }
#endif
  const double t0 = wall_time();
  HEAT2D_OMP(parallel)
  {
    for (int step = 0; step < steps; ++step) {
      const double* in = cur;  // shared pointers, updated by the master between barriers
      double* out = next;
      HEAT2D_OMP(for schedule(static))
      for (index_t j = 1; j <= rows; ++j) {
        const double* c = in + j * s + 1;
        row(c - s, c, c + s, out + j * s + 1, n, r);
      }
      // implicit barrier: the whole block is updated
      HEAT2D_OMP(master)
      {
        std::swap(cur, next);
        exchange_halos(cur);
      }
      HEAT2D_OMP(barrier)
    }
  }
  const double elapsed = wall_time() - t0;
  cur_ = cur;
  next_ = next;
  return d_.size > 1 ? max_over_ranks(elapsed) : elapsed;
}

void Field::exchange_halos(double* u) const {
#if defined(HEAT2D_USE_MPI)
  if (d_.size == 1) {
    return;
  }
  const index_t s = stride_;
  const int up = d_.rank > 0 ? d_.rank - 1 : MPI_PROC_NULL;
  const int down = d_.rank < d_.size - 1 ? d_.rank + 1 : MPI_PROC_NULL;
  const int count = static_cast<int>(d_.n);
  double* first_row = u + s + 1;
  double* last_row = u + d_.rows * s + 1;
  double* top_halo = u + 1;
  double* bottom_halo = u + (d_.rows + 1) * s + 1;
  // Global boundary rows have MPI_PROC_NULL neighbours: their zeros are never overwritten.
  MPI_Sendrecv(first_row, count, MPI_DOUBLE, up, 0, bottom_halo, count, MPI_DOUBLE, down, 0,
               MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  MPI_Sendrecv(last_row, count, MPI_DOUBLE, down, 1, top_halo, count, MPI_DOUBLE, up, 1,
               MPI_COMM_WORLD, MPI_STATUS_IGNORE);
#else
  (void)u;
#endif
}

std::vector<double> Field::gather_interior() const {
  const index_t n = d_.n;
  const index_t s = stride_;
  std::vector<double> local(static_cast<std::size_t>(d_.rows * n));
  for (index_t j = 0; j < d_.rows; ++j) {
    const double* row = cur_ + (j + 1) * s + 1;
    std::copy(row, row + n, local.begin() + j * n);
  }
  if (d_.size == 1) {
    return local;
  }
#if defined(HEAT2D_USE_MPI)
  if (n * n > static_cast<index_t>(INT_MAX)) {
    throw std::runtime_error("grid too large to gather on one rank");
  }
  std::vector<int> counts;
  std::vector<int> displs;
  std::vector<double> all;
  if (d_.rank == 0) {
    all.resize(static_cast<std::size_t>(n * n));
    for (int r = 0; r < d_.size; ++r) {
      const Decomposition other = Decomposition::block(n, r, d_.size);
      counts.push_back(static_cast<int>(other.rows * n));
      displs.push_back(static_cast<int>(other.first_row * n));
    }
  }
  MPI_Gatherv(local.data(), static_cast<int>(local.size()), MPI_DOUBLE, all.data(), counts.data(),
              displs.data(), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  return all;
#else
  return local;
#endif
}

double Field::project_sine_mode(int kx, int ky) const {
  const index_t n = d_.n;
  const index_t s = stride_;
  const double h = 1.0 / static_cast<double>(n + 1);
  double sum = 0.0;
  for (index_t j = 1; j <= d_.rows; ++j) {
    const double sy = std::sin(ky * pi * static_cast<double>(d_.first_row + j) * h);
    const double* row = cur_ + j * s + 1;
    double row_sum = 0.0;
    for (index_t i = 0; i < n; ++i) {
      row_sum += row[i] * std::sin(kx * pi * static_cast<double>(i + 1) * h);
    }
    sum += sy * row_sum;
  }
  const double total = d_.size > 1 ? sum_over_ranks(sum) : sum;
  return 4.0 * h * h * total;  // (2/(N+1))^2: the discrete sine modes are orthogonal
}

}  // namespace heat2d
