// GPU back end of the stencil (HEAT2D_GPU=CUDA|HIP); gpu_none.cpp when HEAT2D_GPU=OFF.
#ifndef HEAT2D_GPU_HPP
#define HEAT2D_GPU_HPP

#include <string>

#include "stencil.hpp"

namespace heat2d {
namespace gpu {

// True when built with a GPU back end.
bool enabled();
// "CUDA", "HIP" or "OFF".
const char* backend();
// Name of the device that run() uses; throws std::runtime_error when there is none.
std::string device_name();

// Runs `steps` explicit steps on the GPU, one thread per interior grid point.  `grid` holds
// (n+2) rows of `stride` doubles: the interior with its zero boundary layer.  It is copied to the
// device, stepped, and the result copied back into `grid`.  Returns the kernel time in seconds.
double run(double* grid, index_t n, index_t stride, int steps, double r);

}  // namespace gpu
}  // namespace heat2d

#endif  // HEAT2D_GPU_HPP
