// ROUNDPS/ROUNDPD/ROUNDSS/ROUNDSD in software: IEEE roundToIntegral in the
// element's own format (SDM Vol. 2 ROUNDPS). Exactly specified, so the
// result does not depend on the host; done here rather than on the host so
// that vtlab does not need SSE4.1 on the machine it runs on.
#pragma once
#include "core/base/types.h"

namespace vtlab::sse {

// Rounding modes as in MXCSR.RC / imm8[1:0]: nearest-even, down, up, toward 0.
enum class RoundMode : u8 { Nearest, Down, Up, Zero };

// x rounded to an integral value. Flags (MXCSR bits) go to *flags: IE for
// an SNaN (the result is the NaN quieted), PE when the result differs from
// x unless `suppress_precision` (imm8[3]). DAZ makes denormal inputs
// signed zeros. No other flag: rounding cannot overflow, underflow or
// see a denormal result (ROUNDPS "SIMD Floating-Point Exceptions").
u32 round_f32(u32 x, RoundMode m, bool daz, bool suppress_precision, u32* flags);
u64 round_f64(u64 x, RoundMode m, bool daz, bool suppress_precision, u32* flags);

}  // namespace vtlab::sse
