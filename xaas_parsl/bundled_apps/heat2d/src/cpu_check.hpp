// Run-time check that the CPU can execute the SIMD level this binary was built for.
#ifndef HEAT2D_CPU_CHECK_HPP
#define HEAT2D_CPU_CHECK_HPP

namespace heat2d {

// nullptr when the CPU supports the configured SIMD level, otherwise a message saying what is
// missing.  Compiled without any SIMD flags, so it is safe to call first thing in main().
const char* cpu_support_problem();

}  // namespace heat2d

#endif  // HEAT2D_CPU_CHECK_HPP
