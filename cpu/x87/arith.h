// x87 arithmetic on F80 values: the operations of FADD/FSUB/FMUL/FDIV (and
// their reversed, popping and integer forms), FSQRT, FPREM/FPREM1, FRNDINT,
// FSCALE, FXTRACT and the comparisons. Pure functions of their operands and
// the control word; the instruction handlers (cpu/handlers/x87_*.cpp) move
// values between the register stack, memory and these.
#pragma once
#include "cpu/x87/float80.h"

namespace vtlab::x87 {

// Precision control applies (SDM Vol. 1 §8.1.5.2): env.bits as the control
// word says. `denormal_operand`: an operand was a denormal single or double
// before it was widened (it still raises #D).
Result add(F80 a, F80 b, const Env& env, bool denormal_operand = false);
Result sub(F80 a, F80 b, const Env& env, bool denormal_operand = false);  // a - b
Result mul(F80 a, F80 b, const Env& env, bool denormal_operand = false);
Result div(F80 a, F80 b, const Env& env, bool denormal_operand = false);  // a / b
Result sqrt(F80 a, const Env& env);

// FRNDINT: ST0 rounded to an integer with the rounding control.
Result round_to_int(F80 a, const Env& env);

// FSCALE: a * 2^trunc(b).
Result scale(F80 a, F80 b, const Env& env);

// FXTRACT: exponent (as a value) and significand (exponent 0, a's sign).
struct Extracted {
  F80 exponent, significand;
  u8 flags = 0;
  bool write = true;
};
Extracted extract(F80 a, const Env& env);

// FPREM (ieee = false: quotient truncated) and FPREM1 (ieee = true: quotient
// rounded to nearest even): a partial remainder of a / b. `computed`: a
// remainder was computed (no NaN or invalid operand); then `complete` is
// C2's complement and q holds the low three quotient bits (C0 = Q2,
// C3 = Q1, C1 = Q0) of a complete reduction.
struct Remainder {
  F80 v;
  u8 flags = 0;
  bool write = true;
  bool computed = false;
  bool complete = true;
  u8 q = 0;
};
Remainder remainder(F80 a, F80 b, bool ieee, const Env& env);

// Comparisons (FCOM/FUCOM/FCOMI/FUCOMI/FTST/FICOM): unordered if either is a
// NaN or unsupported. `quiet`: only SNaNs (and unsupported formats) raise
// #IA; otherwise every NaN does.
enum class Order : u8 { Less, Equal, Greater, Unordered };
struct Compared {
  Order order;
  u8 flags = 0;
};
Compared compare(F80 a, F80 b, bool quiet, bool denormal_operand = false);

}  // namespace vtlab::x87
