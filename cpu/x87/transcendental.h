// The x87 transcendental instructions: F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN,
// FCOS, FSINCOS, FPTAN. Computed with GNU MPFR and rounded once, so every
// host gives the same bits (never the host FPU's last-bit approximations).
// What each computes (docs/x87.md gives the accuracy against real CPUs):
//
// - F2XM1, FYL2X, FYL2XP1, FPATAN: the exact function of the operands,
//   rounded to 64 bits with the rounding control (the precision control
//   does not apply: SDM Vol. 1 §8.1.5.2).
// - FSIN, FCOS, FSINCOS, FPTAN: the argument is reduced exactly by
//   multiples of p/2, p being the x87's 66-bit pi (SDM Vol. 1 §8.3.8:
//   0.C90FDAA2 2168C234 C * 2^2), as the x87 does (Intel, "The Difference
//   Between x87 Instructions FSIN, FCOS, FSINCOS, and FPTAN and
//   Mathematical Functions"), and the function of the reduced argument is
//   rounded correctly: sin(x) is sin(r), cos(r), -sin(r) or -cos(r) for
//   r = x - k*p/2. Arguments with |x| >= 2^63 are out of range: C2 = 1 and
//   the operand is left as it is.
//
// The special operands (zeros, infinities, NaNs, denormals, unsupported
// formats) follow each instruction's table in SDM Vol. 2.
#pragma once
#include "cpu/x87/float80.h"

namespace vtlab::x87 {

Result f2xm1(F80 x, const Env& env);
// y * log2(x): x is ST(0), y is ST(1).
Result fyl2x(F80 x, F80 y, const Env& env);
// y * log2(x + 1).
Result fyl2xp1(F80 x, F80 y, const Env& env);
// atan(y / x) with the quadrant of (x, y): x is ST(0), y is ST(1).
Result fpatan(F80 x, F80 y, const Env& env);

// FSIN/FCOS/FPTAN give `first`; FSINCOS gives first = sine, second =
// cosine. out_of_range: C2 = 1, nothing written.
struct Trig {
  F80 first, second;
  u8 flags = 0;
  bool c1 = false;
  bool write = true;
  bool out_of_range = false;
};
enum class TrigOp : u8 { Sin, Cos, SinCos, Tan };
Trig trig(TrigOp op, F80 x, const Env& env);

}  // namespace vtlab::x87
