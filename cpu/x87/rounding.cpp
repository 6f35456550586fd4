// Rounding and packing of x87 results (SDM Vol. 1 §4.8.4, §8.5.4-8.5.6).
#include <bit>

#include "cpu/x87/float80.h"

namespace vtlab::x87 {
namespace {

inline constexpr i32 kUnmaskedBias = 24576;  // §8.5.4/8.5.5: 3 * 2^13

// Rounds m to its top `bits` bits (toward `rc`); returns the rounded value
// (low bits cleared), sets *carry if it overflowed out of bit 127 (then the
// result is 2^128, returned as bit 127 with *carry), *inexact and *up.
u128 round_bits(u128 m, unsigned bits, Rounding rc, bool sign, bool* carry, bool* inexact, bool* up) {
  const unsigned drop = 128 - bits;
  const u128 unit = u128(1) << drop, mask = unit - 1, half = unit >> 1;
  const u128 low = m & mask;
  *inexact = low != 0;
  bool inc = false;
  switch (rc) {
    case Rounding::Nearest:
      inc = low > half || (low == half && (m & unit));
      break;
    case Rounding::Down:
      inc = low != 0 && sign;
      break;
    case Rounding::Up:
      inc = low != 0 && !sign;
      break;
    case Rounding::Zero:
      break;
  }
  *up = inc;
  u128 r = m & ~mask;
  if (inc) {
    r += unit;
    if (r == 0) {  // carried out of bit 127
      *carry = true;
      return u128(1) << 127;
    }
  }
  *carry = false;
  return r;
}

}  // namespace

Unrounded normalized(bool sign, i32 exp, u128 m) {
  const u64 hi = u64(m >> 64);
  const int shift = hi ? std::countl_zero(hi) : 64 + std::countl_zero(u64(m));
  return Unrounded{sign, exp - shift, m << shift};
}

Unrounded unpack(F80 x) {
  const i32 e = x.exp() == 0 ? 1 : x.exp();
  return normalized(x.sign(), e, u128(x.sig) << 64);
}

Packed round_to(const Unrounded& u, const Format& f, const Env& env, bool memory) {
  Packed r{u.sign};
  bool carry, inexact, up;
  // Rounding with an unbounded exponent decides overflow and (SDM Vol. 1
  // §4.9.1.5: "the result of rounding with unbounded exponent, taking into
  // account precision control") tininess.
  u128 m = round_bits(u.m, f.bits, env.rc, u.sign, &carry, &inexact, &up);
  const i32 exp = u.exp + (carry ? 1 : 0);
  if (exp > f.emax) {
    if (!env.masked(ex::OE)) {
      // A memory destination is not written and only #O is flagged
      // (§8.5.4). A register gets the result biased by 2^-24576; if even
      // that is out of range (only FSCALE gets this far), infinity, as this
      // CPU gives.
      if (memory) {
        r.flags = ex::OE;
        r.write = false;
        return r;
      }
      r.flags = ex::OE | (inexact ? ex::PE : 0);
      r.c1 = up;
      if (exp - kUnmaskedBias > f.emax) {
        r.exp = f.emax + 1, r.sig = kJ;
        r.flags = ex::OE | ex::PE;
        r.c1 = true;
        return r;
      }
      r.exp = exp - kUnmaskedBias, r.sig = u64(m >> 64);
      return r;
    }
    // Masked overflow: infinity, or the largest finite value when rounding
    // toward zero or away from this sign's infinity (Table 4-10).
    const bool to_inf =
        env.rc == Rounding::Nearest || (env.rc == Rounding::Up && !u.sign) || (env.rc == Rounding::Down && u.sign);
    r.exp = to_inf ? f.emax + 1 : f.emax;
    r.sig = to_inf ? kJ : ~u64(0) << (64 - f.bits);
    r.flags = ex::OE | ex::PE;
    r.c1 = to_inf;
    return r;
  }
  if (exp < f.emin) {
    if (!env.masked(ex::UE)) {
      if (memory) {  // §8.5.5: nothing stored, only #U flagged
        r.flags = ex::UE;
        r.write = false;
        return r;
      }
      r.flags = ex::UE | (inexact ? ex::PE : 0);
      r.c1 = up;
      if (exp + kUnmaskedBias < f.emin) {  // FSCALE only: zero, as this CPU gives
        r.exp = f.emin - 1, r.sig = 0;
        r.flags = ex::UE | ex::PE;
        r.c1 = false;
        return r;
      }
      r.exp = exp + kUnmaskedBias, r.sig = u64(m >> 64);
      return r;
    }
    // Masked underflow: denormalize the exact value, then round at the same
    // significand positions (the precision counts from bit 63).
    const i32 shift = f.emin - u.exp;
    u128 d;
    if (shift >= 128)
      d = u.m != 0 ? 1 : 0;
    else
      d = (u.m >> shift) | ((u.m & ((u128(1) << shift) - 1)) != 0 ? 1 : 0);
    m = round_bits(d, f.bits, env.rc, u.sign, &carry, &inexact, &up);
    if (carry) m = u128(1) << 127;
    const bool normal = m >> 127;
    r.exp = normal ? f.emin : f.emin - 1;
    r.sig = u64(m >> 64);
    r.flags = inexact ? (ex::UE | ex::PE) : 0;
    r.c1 = up;
    return r;
  }
  r.exp = exp, r.sig = u64(m >> 64);
  r.flags = inexact ? ex::PE : 0;
  r.c1 = up;
  return r;
}

Result round_pack(const Unrounded& u, const Env& env) {
  const Packed p = round_to(u, Format{env.bits, 1, kMaxExp - 1}, env, false);
  Result r;
  r.v = make(p.sign, u16(p.exp), p.sig);
  r.flags = p.flags;
  r.c1 = p.c1;
  r.write = p.write;
  return r;
}

F80 quiet(F80 x) { return F80{x.sig | kQuietBit, x.se}; }

F80 propagate_nan(F80 a, F80 b, u8& flags) {
  const Cls ca = classify(a), cb = classify(b);
  if (ca == Cls::SNaN || cb == Cls::SNaN) flags |= ex::IE;
  if (!is_nan(ca)) return quiet(b);
  if (!is_nan(cb)) return quiet(a);
  if (ca != cb) return quiet(ca == Cls::QNaN ? a : b);
  // Two of a kind: the larger significand; equal ones: the positive one
  // (as this CPU does; the SDM names no tie rule).
  if (a.sig != b.sig) return quiet(b.sig > a.sig ? b : a);
  return quiet(b.se < a.se ? b : a);
}

}  // namespace vtlab::x87
