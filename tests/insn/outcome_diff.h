// Comparing two outcomes of one case under the case's masks.
#pragma once

#include <string>

#include "tests/insn/case.h"

namespace insn {

// "" when `actual` matches `expected`, honouring c.flags_undef, c.gpr_undef,
// c.mem_undef and c.approx; otherwise one line per difference.
std::string diff_outcomes(const Case& c, const Outcome& expected, const Outcome& actual);

// Relative tolerance of approx (RCP/RSQRT) f32 lanes: each CPU may be off by
// 1.5*2^-12 from the true value (Intel SDM Vol. 2, RCPPS), so two CPUs may
// differ from each other by twice that.
inline constexpr double kApproxRelTolerance = 3.0 / 4096.0;

// Tolerance of approx x87 results (the transcendental instructions), in
// units in the last place of the 64-bit significand: the hardware is within
// 1 ulp (1.5 in the directed rounding modes) of the function of the reduced
// argument (SDM Vol. 1 §8.3.10), vtlab within 1/2 (1), so two results may be
// 2 ulps apart. Approx cases also leave C1 (rounded up) uncompared.
inline constexpr unsigned kApproxX87Ulps = 2;

}  // namespace insn
