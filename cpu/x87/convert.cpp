// Memory-format conversions of the x87 (SDM Vol. 1 §4.8.3, §4.9.1;
// Vol. 2 FLD, FST/FSTP, FILD, FIST/FISTP, FISTTP, FBLD, FBSTP).
#include "cpu/x87/convert.h"

#include "cpu/x87/integer.h"

namespace vtlab::x87 {
namespace {

// An IEEE binary value (frac_bits of fraction, exponent bias) as F80.
Loaded from_binary(u64 bits, unsigned frac_bits, unsigned exp_bits, const Env& env) {
  Loaded l;
  const bool sign = bits >> (frac_bits + exp_bits);
  const u64 frac = bits & ((u64(1) << frac_bits) - 1);
  const u32 emax = (1u << exp_bits) - 1, bias = emax >> 1;
  const u32 e = u32(bits >> frac_bits) & emax;
  const u64 aligned = frac << (63 - frac_bits);  // fraction under J
  if (e == emax) {
    if (frac == 0) {
      l.v = infinity(sign);
    } else {
      const bool snan = !(aligned & kQuietBit);
      if (snan) l.flags = ex::IE;
      l.write = !snan || env.masked(ex::IE);
      l.v = make(sign, kMaxExp, kJ | kQuietBit | aligned);
    }
    return l;
  }
  if (e == 0) {
    if (frac == 0) {
      l.v = zero(sign);
      return l;
    }
    l.flags = ex::DE;
    l.write = env.masked(ex::DE);
    const Unrounded u = normalized(sign, i32(kBias - bias + 1), u128(aligned) << 64);
    l.v = make(sign, u16(u.exp), u64(u.m >> 64));
    return l;
  }
  l.v = make(sign, u16(e - bias + kBias), kJ | aligned);
  return l;
}

// The special operands of a store: unsupported, NaN, infinity and zero give
// their fixed results; true when `s` holds the outcome.
bool store_special(F80 x, Cls c, const Env& env, u64 nan_bits, u64 inf_bits, u64 sign_bit, unsigned frac_shift,
                   u64 quiet_bit, Stored& s) {
  const u64 sb = x.sign() ? sign_bit : 0;
  switch (c) {
    case Cls::Unsupported:
      s.flags = ex::IE;
      s.write = env.masked(ex::IE);
      s.bits = nan_bits;
      return true;
    case Cls::SNaN:
    case Cls::QNaN:
      if (c == Cls::SNaN) s.flags = ex::IE, s.write = env.masked(ex::IE);
      s.bits = sb | inf_bits | quiet_bit | ((x.sig & ~kJ) >> frac_shift);
      return true;
    case Cls::Inf:
      s.bits = sb | inf_bits;
      return true;
    case Cls::Zero:
      s.bits = sb;
      return true;
    default:
      return false;
  }
}

Stored to_binary(F80 x, const Format& f, unsigned frac_bits, unsigned exp_bits, const Env& env) {
  Stored s;
  const u64 sign_bit = u64(1) << (frac_bits + exp_bits);
  const u64 inf_bits = ((u64(1) << exp_bits) - 1) << frac_bits;
  const u64 quiet = u64(1) << (frac_bits - 1);
  const u64 indefinite = sign_bit | inf_bits | quiet;
  const Cls c = classify(x);
  if (store_special(x, c, env, indefinite, inf_bits, sign_bit, 63 - frac_bits, quiet, s)) return s;
  // A denormal source raises no #D: it is "simply signaled as a numeric
  // underflow" (SDM Vol. 2 FST/FSTP).
  const Packed p = round_to(unpack(x), f, env, true);
  s.flags |= p.flags;
  s.c1 = p.c1;
  s.write = p.write;
  const i32 bias = (1 << (exp_bits - 1)) - 1;
  const u64 e = u64(p.exp - (kBias - bias));  // 0 for a denormal, all ones for infinity
  s.bits = (x.sign() ? sign_bit : 0) | (e << frac_bits) | ((p.sig & ~kJ) >> (63 - frac_bits));
  return s;
}

}  // namespace

Loaded from_float32(u32 bits, const Env& env) { return from_binary(bits, 23, 8, env); }
Loaded from_float64(u64 bits, const Env& env) { return from_binary(bits, 52, 11, env); }

F80 from_int(i64 v) {
  if (v == 0) return zero(false);
  const bool neg = v < 0;
  const u64 m = neg ? u64(0) - u64(v) : u64(v);
  const int lz = __builtin_clzll(m);
  return make(neg, u16(kBias + 63 - lz), m << lz);
}

F80 from_bcd(const u8 (&b)[10]) {
  u64 v = 0;
  for (int i = 8; i >= 0; --i) v = v * 100 + u64(b[i] >> 4) * 10 + (b[i] & 15);
  const bool neg = b[9] & 0x80;
  if (v == 0) return zero(neg);
  const int lz = __builtin_clzll(v);
  return make(neg, u16(kBias + 63 - lz), v << lz);
}

Stored to_float32(F80 x, const Env& env) { return to_binary(x, kFloat32, 23, 8, env); }
Stored to_float64(F80 x, const Env& env) { return to_binary(x, kFloat64, 52, 11, env); }

Stored to_int(F80 x, unsigned bytes, const Env& env, bool truncate) {
  Stored s;
  const u64 indefinite = u64(1) << (bytes * 8 - 1);
  const Cls c = classify(x);
  auto invalid = [&] {
    s.flags |= ex::IE;
    s.write = env.masked(ex::IE);
    s.bits = indefinite;
    return s;
  };
  if (c == Cls::Unsupported || is_nan(c) || c == Cls::Inf) return invalid();
  if (c == Cls::Zero) return s;
  const IntRound ir = round_integer(x, truncate ? Rounding::Zero : env.rc);
  // In range: -2^(n-1) .. 2^(n-1)-1.
  if (ir.overflow || ir.mag > indefinite || (ir.mag == indefinite && !x.sign())) return invalid();
  s.bits = (x.sign() ? u64(0) - ir.mag : ir.mag) & (bytes == 8 ? ~u64(0) : (u64(1) << (bytes * 8)) - 1);
  if (ir.inexact) s.flags |= ex::PE;
  s.c1 = ir.up;
  return s;
}

StoredBcd to_bcd(F80 x, const Env& env) {
  StoredBcd s;
  const Cls c = classify(x);
  auto invalid = [&] {
    s.flags |= ex::IE;
    s.write = env.masked(ex::IE);
    // Packed BCD indefinite (SDM Vol. 1 Table 4-4): FFFF C0000000 00000000.
    for (u8& v : s.b) v = 0;
    s.b[7] = 0xc0, s.b[8] = 0xff, s.b[9] = 0xff;
    return s;
  };
  if (c == Cls::Unsupported || is_nan(c) || c == Cls::Inf) return invalid();
  u64 mag = 0;
  if (c != Cls::Zero) {
    const IntRound ir = round_integer(x, env.rc);
    if (ir.overflow || ir.mag > 999999999999999999ull) return invalid();
    mag = ir.mag;
    if (ir.inexact) s.flags |= ex::PE;
    s.c1 = ir.up;
  }
  for (int i = 0; i < 9; ++i) {
    const u8 lo = u8(mag % 10);
    mag /= 10;
    s.b[i] = u8(lo | (mag % 10) << 4);
    mag /= 10;
  }
  s.b[9] = x.sign() ? 0x80 : 0;
  return s;
}

}  // namespace vtlab::x87
