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

}  // namespace insn
