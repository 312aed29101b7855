// HEAT2D_GPU=OFF: no GPU back end.
#include <stdexcept>

#include "gpu.hpp"

namespace heat2d {
namespace gpu {

bool enabled() { return false; }
const char* backend() { return "OFF"; }
std::string device_name() { throw std::runtime_error("heat2d was built with HEAT2D_GPU=OFF"); }

double run(double*, index_t, index_t, int, double) {
  throw std::runtime_error("heat2d was built with HEAT2D_GPU=OFF");
}

}  // namespace gpu
}  // namespace heat2d
