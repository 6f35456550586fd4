// Exactness of a result "rounded with unbounded exponent", in integer
// arithmetic. Needed only when overflow or underflow is unmasked: the SSE
// unit then stores nothing, and PE reports whether the result rounded to
// the destination's precision (but not its exponent range) was inexact,
// as for x87's biased results (SDM Vol. 1 §4.9.1.4-4.9.1.5; measured on
// hardware: 2^127*2 with OM=0 sets OE alone, 0x1p-126*0x1.000002p-3 with
// UM=0 sets UE alone). The host cannot tell, since it runs masked.
#pragma once
#include "core/base/types.h"

namespace vtlab::sse {

enum class Arith : u8 { Add, Sub, Mul, Div, Cvt };

// Is `a op b` (finite operands; IEEE single if !dbl, else double; DAZ:
// denormal operands are zero) exactly representable with the result
// precision (24 bits if !dbl_out, else 53), ignoring exponent range?
// Cvt converts b alone.
bool exact_unbounded(Arith op, u64 a, u64 b, bool dbl, bool dbl_out, bool daz);

}  // namespace vtlab::sse
