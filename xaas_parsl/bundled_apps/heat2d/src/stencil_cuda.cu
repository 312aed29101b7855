// CUDA back end (HEAT2D_GPU=CUDA): one thread per interior grid point.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "gpu.hpp"

namespace heat2d {
namespace gpu {

namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string("CUDA error in ") + what + ": " +
                             cudaGetErrorString(status));
  }
}

__global__ void stencil_step(const double* __restrict__ in, double* __restrict__ out, long n,
                             long stride, double r) {
  const long i = static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x + 1;  // column 1..n
  const long j = static_cast<long>(blockIdx.y) * blockDim.y + threadIdx.y + 1;  // row 1..n
  if (i > n || j > n) {
    return;
  }
  const long k = j * stride + i;
  const double c = in[k];
  const double sum = (in[k - 1] + in[k + 1]) + (in[k - stride] + in[k + stride]);
  out[k] = c + r * (sum - 4.0 * c);
}

struct DeviceBuffer {
  double* ptr = nullptr;
  explicit DeviceBuffer(size_t bytes) { check(cudaMalloc(&ptr, bytes), "cudaMalloc"); }
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

struct Event {
  cudaEvent_t event{};
  Event() { check(cudaEventCreate(&event), "cudaEventCreate"); }
  ~Event() { cudaEventDestroy(event); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

}  // namespace

bool enabled() { return true; }
const char* backend() { return "CUDA"; }

std::string device_name() {
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  return prop.name;
}

double run(double* grid, index_t n, index_t stride, int steps, double r) {
  const size_t bytes = static_cast<size_t>(n + 2) * static_cast<size_t>(stride) * sizeof(double);
  DeviceBuffer a(bytes);
  DeviceBuffer b(bytes);
  // Both buffers get the boundary (zeros), which the kernel never writes.
  check(cudaMemcpy(a.ptr, grid, bytes, cudaMemcpyHostToDevice), "cudaMemcpy H2D");
  check(cudaMemcpy(b.ptr, grid, bytes, cudaMemcpyHostToDevice), "cudaMemcpy H2D");

  const dim3 block(32, 8);
  const dim3 blocks(static_cast<unsigned>((n + block.x - 1) / block.x),
                    static_cast<unsigned>((n + block.y - 1) / block.y));
  double* cur = a.ptr;
  double* next = b.ptr;
  Event start, stop;
  check(cudaEventRecord(start.event), "cudaEventRecord");
  for (int step = 0; step < steps; ++step) {
    stencil_step<<<blocks, block>>>(cur, next, static_cast<long>(n), static_cast<long>(stride), r);
    std::swap(cur, next);
  }
  check(cudaGetLastError(), "stencil_step launch");
  check(cudaEventRecord(stop.event), "cudaEventRecord");
  check(cudaEventSynchronize(stop.event), "cudaEventSynchronize");
  float ms = 0.0f;
  check(cudaEventElapsedTime(&ms, start.event, stop.event), "cudaEventElapsedTime");
  check(cudaMemcpy(grid, cur, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy D2H");
  return 1e-3 * static_cast<double>(ms);
}

}  // namespace gpu
}  // namespace heat2d
