// Rounding a finite x87 value to an integer (FRNDINT, FIST/FISTP/FISTTP,
// FBSTP, FSCALE's scale factor).
#pragma once
#include "cpu/x87/float80.h"

namespace vtlab::x87 {

struct IntRound {
  u64 mag;        // |rounded value| (valid unless overflow)
  bool inexact;   // a fraction was dropped
  bool up;        // the magnitude was incremented
  bool overflow;  // |rounded value| >= 2^64
};

// x must be finite and non-zero (normal or denormal).
IntRound round_integer(F80 x, Rounding rc);

// FPREM/FPREM1 with an exponent difference D of 64 or more compute N
// quotient bits per execution, "an implementation-dependent number between
// 32 and 63" (SDM Vol. 2 FPREM). This CPU (and Bochs' model of Intel's)
// takes N = 32 + D mod 32, so the difference left is a multiple of 32
// (docs/x87.md).
inline constexpr int partial_remainder_bits(int d) { return 32 | (d & 31); }

}  // namespace vtlab::x87
