// Operand values for the x87 differential tests: every class of the double
// extended format (zeros, denormals, pseudo-denormals, normals near the
// exponent limits and near 1, infinities, QNaN/SNaN with random payloads,
// the unsupported encodings) and control words covering every precision,
// rounding mode and exception mask.
#pragma once
#include "cpu/x87/float80.h"

namespace x87_test {

struct Rng {  // splitmix64: the same sequence on every host
  u64 s;
  u64 next() {
    u64 z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  u64 below(u64 n) { return next() % n; }
};

// A significand with a random number of low bits cleared (short ones make
// exact and halfway cases likely).
inline u64 random_sig(Rng& r) {
  u64 s = r.next();
  switch (r.below(4)) {
    case 0:
      s &= ~u64(0) << r.below(64);
      break;
    case 1:
      s |= (u64(1) << r.below(64)) - 1;
      break;  // runs of ones
    default:
      break;
  }
  return s;
}

inline F80 random_f80(Rng& r) {
  const bool sign = r.below(2);
  using namespace vtlab::x87;
  switch (r.below(16)) {
    case 0:
      return zero(sign);
    case 1:
      return make(sign, 0, random_sig(r) >> (1 + r.below(63)));  // denormal
    case 2:
      return make(sign, 0, kJ | random_sig(r));  // pseudo-denormal
    case 3:
      return infinity(sign);
    case 4:
      return make(sign, kMaxExp, kJ | kQuietBit | (random_sig(r) >> 2));  // QNaN
    case 5:
      return make(sign, kMaxExp, kJ | (1 + (random_sig(r) >> 3)));  // SNaN
    case 6:
      return make(sign, u16(1 + r.below(0x7ffe)), random_sig(r) & ~kJ);  // unnormal
    case 7:
      return r.below(2) ? kIndefinite : make(sign, kMaxExp, random_sig(r) & ~kJ);
    case 8:
      return make(sign, u16(1 + r.below(80)), kJ | random_sig(r));  // tiny
    case 9:
      return make(sign, u16(kMaxExp - 1 - r.below(80)), kJ | random_sig(r));  // huge
    case 10:
      return make(sign, u16(kBias - 64 + r.below(128)), kJ | (random_sig(r) & ~(~u64(0) >> 30)));
    default:
      return make(sign, u16(kBias - 200 + r.below(400)), kJ | random_sig(r));
  }
}

// Mostly masked control words; sometimes single exceptions unmasked.
inline u16 random_fcw(Rng& r) {
  static constexpr u16 kPc[4] = {0x000, 0x100, 0x200, 0x300};
  u16 masks = 0x3f;
  if (r.below(4) == 0) masks = u16(r.next() & 0x3f);
  return u16(0x1040 | masks | kPc[r.below(4)] | (r.below(4) << 10));
}

}  // namespace x87_test
