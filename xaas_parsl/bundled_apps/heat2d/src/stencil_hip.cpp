// HIP back end (HEAT2D_GPU=HIP, compiled as the HIP language): one thread per interior point.
#include <hip/hip_runtime.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "gpu.hpp"

namespace heat2d {
namespace gpu {

namespace {

void check(hipError_t status, const char* what) {
  if (status != hipSuccess) {
    throw std::runtime_error(std::string("HIP error in ") + what + ": " +
                             hipGetErrorString(status));
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
  explicit DeviceBuffer(size_t bytes) {
    check(hipMalloc(reinterpret_cast<void**>(&ptr), bytes), "hipMalloc");
  }
  ~DeviceBuffer() { (void)hipFree(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

struct Event {
  hipEvent_t event{};
  Event() { check(hipEventCreate(&event), "hipEventCreate"); }
  ~Event() { (void)hipEventDestroy(event); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

}  // namespace

bool enabled() { return true; }
const char* backend() { return "HIP"; }

std::string device_name() {
  int device = 0;
  check(hipGetDevice(&device), "hipGetDevice");
  hipDeviceProp_t prop{};
  check(hipGetDeviceProperties(&prop, device), "hipGetDeviceProperties");
  return prop.name;
}

double run(double* grid, index_t n, index_t stride, int steps, double r) {
  const size_t bytes = static_cast<size_t>(n + 2) * static_cast<size_t>(stride) * sizeof(double);
  DeviceBuffer a(bytes);
  DeviceBuffer b(bytes);
  // Both buffers get the boundary (zeros), which the kernel never writes.
  check(hipMemcpy(a.ptr, grid, bytes, hipMemcpyHostToDevice), "hipMemcpy H2D");
  check(hipMemcpy(b.ptr, grid, bytes, hipMemcpyHostToDevice), "hipMemcpy H2D");

  const dim3 block(32, 8);  // 256 threads: four wavefronts of 64
  const dim3 blocks(static_cast<unsigned>((n + block.x - 1) / block.x),
                    static_cast<unsigned>((n + block.y - 1) / block.y));
  double* cur = a.ptr;
  double* next = b.ptr;
  Event start, stop;
  check(hipEventRecord(start.event, nullptr), "hipEventRecord");
  for (int step = 0; step < steps; ++step) {
    stencil_step<<<blocks, block>>>(cur, next, static_cast<long>(n), static_cast<long>(stride), r);
    std::swap(cur, next);
  }
  check(hipGetLastError(), "stencil_step launch");
  check(hipEventRecord(stop.event, nullptr), "hipEventRecord");
  check(hipEventSynchronize(stop.event), "hipEventSynchronize");
  float ms = 0.0f;
  check(hipEventElapsedTime(&ms, start.event, stop.event), "hipEventElapsedTime");
  check(hipMemcpy(grid, cur, bytes, hipMemcpyDeviceToHost), "hipMemcpy D2H");
  return 1e-3 * static_cast<double>(ms);
}

}  // namespace gpu
}  // namespace heat2d
