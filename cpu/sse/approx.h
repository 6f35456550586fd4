// RCPPS/RCPSS and RSQRTPS/RSQRTSS in software. Their results are
// approximations whose exact bits differ between Intel and AMD hosts, so
// running them on the host would break determinism across hosts (DESIGN).
// vtlab's choice: the exact 1/x and 1/sqrt(x) rounded to nearest at 12
// significant bits (relative error <= 2^-12, inside the SDM's bound of
// 1.5*2^-12), with the SDM special cases: denormal inputs count as zero,
// +-0 -> +-inf, +-inf -> +-0 (RSQRT: -inf and negative -> default NaN),
// NaN -> the NaN quieted, tiny results flushed to +-0. No MXCSR flags,
// independent of RC/DAZ/FTZ (SDM Vol. 2 RCPPS/RSQRTPS).
#pragma once
#include "core/base/types.h"

namespace vtlab::sse {

u32 rcp_approx(u32 x);
u32 rsqrt_approx(u32 x);

}  // namespace vtlab::sse
