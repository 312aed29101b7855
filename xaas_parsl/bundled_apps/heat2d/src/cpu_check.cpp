// Deliberately free of SIMD compiler flags and of the C++ library (see CMakeLists.txt).
#include "cpu_check.hpp"

namespace heat2d {

const char* cpu_support_problem() {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
  __builtin_cpu_init();
#if defined(HEAT2D_SIMD_AVX_512)
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("fma")) {
    return "this heat2d was built with HEAT2D_SIMD=AVX_512 but the CPU lacks avx512f; "
           "rebuild with HEAT2D_SIMD=AUTO or a lower level";
  }
#elif defined(HEAT2D_SIMD_AVX2_256)
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    return "this heat2d was built with HEAT2D_SIMD=AVX2_256 but the CPU lacks avx2/fma; "
           "rebuild with HEAT2D_SIMD=AUTO or a lower level";
  }
#elif defined(HEAT2D_SIMD_SSE4_1)
  if (!__builtin_cpu_supports("sse4.1")) {
    return "this heat2d was built with HEAT2D_SIMD=SSE4.1 but the CPU lacks sse4.1; "
           "rebuild with HEAT2D_SIMD=None";
  }
#endif
#endif
  return nullptr;
}

}  // namespace heat2d
