// FRNDINT, FSCALE, FXTRACT, FPREM/FPREM1 and the comparisons (SDM Vol. 2,
// each instruction's special-case table).
#include <algorithm>

#include "cpu/x87/arith.h"
#include "cpu/x87/integer.h"

namespace vtlab::x87 {
namespace {

Result invalid(const Env& env) {
  Result r;
  r.v = kIndefinite;
  r.flags = ex::IE;
  r.write = env.masked(ex::IE);
  return r;
}

// NaN operands (and unsupported formats): true when r holds the outcome.
bool special_nan(F80 a, F80 b, Cls ca, Cls cb, const Env& env, Result& r) {
  if (ca == Cls::Unsupported || cb == Cls::Unsupported) {
    r = invalid(env);
    return true;
  }
  if (!is_nan(ca) && !is_nan(cb)) return false;
  r = Result{};
  r.v = propagate_nan(a, b, r.flags);
  r.write = !(r.flags & ex::IE) || env.masked(ex::IE);
  return true;
}

bool denormal_stops(bool any, const Env& env, u8& flags, bool& write) {
  if (!any) return false;
  flags |= ex::DE;
  if (env.masked(ex::DE)) return false;
  write = false;
  return true;
}

// A non-negative integer below 2^64 as an exact F80.
F80 from_u64(bool sign, u64 v) {
  if (v == 0) return zero(sign);
  const int lz = __builtin_clzll(v);
  return make(sign, u16(kBias + 63 - lz), v << lz);
}

}  // namespace

IntRound round_integer(F80 x, Rounding rc) {
  IntRound r{};
  const Unrounded u = unpack(x);
  const i32 e = u.exp - kBias;  // value = m / 2^127 * 2^e
  if (e >= 64) {
    r.overflow = true;
    return r;
  }
  // f fraction bits below the integer part of m.
  const i32 f = 127 - e;
  u128 ip = 0;
  bool above_half, at_half, frac_nonzero = true;
  if (f >= 128) {  // value below 1
    above_half = f == 128 && (u.m << 1) != 0;
    at_half = f == 128 && (u.m << 1) == 0;
  } else {
    ip = u.m >> f;
    const u128 frac = f == 0 ? 0 : u.m & ((u128(1) << f) - 1);
    const u128 half = f == 0 ? 0 : u128(1) << (f - 1);
    frac_nonzero = frac != 0;
    above_half = frac_nonzero && frac > half;
    at_half = frac_nonzero && frac == half;
  }
  bool inc = false;
  switch (rc) {
    case Rounding::Nearest:
      inc = above_half || (at_half && (ip & 1));
      break;
    case Rounding::Down:
      inc = frac_nonzero && u.sign;
      break;
    case Rounding::Up:
      inc = frac_nonzero && !u.sign;
      break;
    case Rounding::Zero:
      break;
  }
  ip += inc ? 1 : 0;
  if (ip >> 64) {
    r.overflow = true;
    return r;
  }
  r.mag = u64(ip);
  r.inexact = frac_nonzero;
  r.up = inc;
  return r;
}

Result round_to_int(F80 a, const Env& env) {
  const Cls ca = classify(a);
  Result r;
  if (special_nan(a, a, ca, ca, env, r)) return r;
  if (ca == Cls::Zero || ca == Cls::Inf) {
    r.v = a;
    return r;
  }
  if (denormal_stops(ca == Cls::Denormal, env, r.flags, r.write)) return r;
  if (a.exp() >= kBias + 63) {  // no fraction bits
    r.v = a;
    return r;
  }
  const IntRound ir = round_integer(a, env.rc);
  r.v = from_u64(a.sign(), ir.mag);
  if (ir.inexact) r.flags |= ex::PE;
  r.c1 = ir.up;
  return r;
}

Result scale(F80 a, F80 b, const Env& env) {
  const Cls ca = classify(a), cb = classify(b);
  Result r;
  if (special_nan(a, b, ca, cb, env, r)) return r;
  if (cb == Cls::Inf) {
    const bool up = !b.sign();
    if ((ca == Cls::Zero && up) || (ca == Cls::Inf && !up)) return invalid(env);
    if (denormal_stops(ca == Cls::Denormal, env, r.flags, r.write)) return r;
    r.v = up ? infinity(a.sign()) : zero(a.sign());
    if (ca == Cls::Zero || ca == Cls::Inf) r.v = a;
    return r;
  }
  if (denormal_stops(ca == Cls::Denormal || cb == Cls::Denormal, env, r.flags, r.write)) return r;
  if (ca == Cls::Zero || ca == Cls::Inf) {
    r.v = a;
    return r;
  }
  // trunc(b), clamped far beyond the exponent range (the result over- or
  // underflows the same way).
  i64 n = 0;
  if (cb != Cls::Zero) {
    if (b.exp() >= kBias + 30) {
      n = i64(1) << 30;
    } else {
      const IntRound ir = round_integer(b, Rounding::Zero);
      n = i64(ir.mag);
    }
    if (b.sign()) n = -n;
  }
  Unrounded u = unpack(a);
  u.exp = i32(std::clamp<i64>(i64(u.exp) + n, -(i64(1) << 30), i64(1) << 30));
  Env e64 = env;
  e64.bits = 64;
  Result s = round_pack(u, e64);
  s.flags |= r.flags;
  return s;
}

Extracted extract(F80 a, const Env& env) {
  const Cls ca = classify(a);
  Extracted x;
  Result r;
  if (special_nan(a, a, ca, ca, env, r)) {
    x.exponent = x.significand = r.v;
    x.flags = r.flags;
    x.write = r.write;
    return x;
  }
  if (ca == Cls::Zero) {
    x.flags = ex::ZE;
    x.write = env.masked(ex::ZE);
    x.exponent = infinity(true);
    x.significand = a;
    return x;
  }
  if (ca == Cls::Inf) {
    x.exponent = infinity(false);
    x.significand = a;
    return x;
  }
  if (denormal_stops(ca == Cls::Denormal, env, x.flags, x.write)) return x;
  const Unrounded u = unpack(a);
  const i32 e = u.exp - kBias;
  x.exponent = from_u64(e < 0, u64(e < 0 ? -i64(e) : e));
  x.significand = make(a.sign(), kBias, u64(u.m >> 64));
  return x;
}

Remainder remainder(F80 a, F80 b, bool ieee, const Env& env) {
  const Cls ca = classify(a), cb = classify(b);
  Remainder out;
  Result r;
  if (special_nan(a, b, ca, cb, env, r)) {
    out.v = r.v, out.flags = r.flags, out.write = r.write;
    return out;
  }
  if (ca == Cls::Inf || cb == Cls::Zero) {
    r = invalid(env);
    out.v = r.v, out.flags = r.flags, out.write = r.write;
    return out;
  }
  if (denormal_stops(ca == Cls::Denormal || cb == Cls::Denormal, env, out.flags, out.write)) return out;
  out.computed = true;
  if (ca == Cls::Zero) {
    out.v = a;
    return out;
  }
  const Unrounded x = unpack(a);
  Env e64 = env;
  e64.bits = 64;
  // |a| < |b| / 2 (b infinite included): quotient 0, a comes back normalized
  // (a denormal is tiny: #U when unmasked, as this CPU does).
  auto unchanged = [&] {
    const Result p = round_pack(x, e64);
    out.v = p.v;
    out.flags |= p.flags;
    return out;
  };
  if (cb == Cls::Inf) return unchanged();
  const Unrounded y = unpack(b);
  i32 d = x.exp - y.exp;
  i32 ey = y.exp;
  if (d >= 64) {
    // Partial remainder (SDM Vol. 2 FPREM): N quotient bits (32..63,
    // implementation-specific: partial_remainder_bits) with a truncated
    // quotient; the reduction is incomplete and C0/C3/C1 are cleared.
    const i32 n = partial_remainder_bits(d);
    ey += d - n;
    d = n;
    ieee = false;
    out.complete = false;
  }
  if (d < -1) return unchanged();
  const u64 sa = u64(x.m >> 64), sb = u64(y.m >> 64);
  const u128 A = u128(sa) << (d + 1), B = u128(sb) << 1;
  u128 q = A / B, rem = A % B;
  bool neg = a.sign();
  if (ieee && (rem * 2 > B || (rem * 2 == B && (q & 1)))) {
    ++q;
    rem = B - rem;
    neg = !neg;
  }
  out.q = out.complete ? u8(q & 7) : 0;
  if (rem == 0) {
    out.v = zero(a.sign());
    return out;
  }
  // rem counts units of 2^(ey - bias - 64).
  const Result p = round_pack(normalized(neg, ey + 63, rem), e64);
  out.v = p.v;
  out.flags |= p.flags;
  return out;
}

Compared compare(F80 a, F80 b, bool quiet, bool denormal_operand) {
  const Cls ca = classify(a), cb = classify(b);
  Compared c{Order::Unordered};
  if (ca == Cls::Unsupported || cb == Cls::Unsupported) {
    c.flags = ex::IE;
    return c;
  }
  if (is_nan(ca) || is_nan(cb)) {
    if (!quiet || ca == Cls::SNaN || cb == Cls::SNaN) c.flags = ex::IE;
    return c;
  }
  if (denormal_operand || ca == Cls::Denormal || cb == Cls::Denormal) c.flags = ex::DE;
  if (ca == Cls::Zero && cb == Cls::Zero) {
    c.order = Order::Equal;
    return c;
  }
  // Order by sign, then magnitude (normalized exponent and significand).
  auto key = [](F80 v, Cls cl) {
    if (cl == Cls::Zero) return u128(0);
    const Unrounded u = unpack(v);
    return (u128(u32(u.exp + 64)) << 64) | u64(u.m >> 64);
  };
  const u128 ka = key(a, ca), kb = key(b, cb);
  const bool sa = ca != Cls::Zero && a.sign(), sb = cb != Cls::Zero && b.sign();
  if (sa != sb) {
    c.order = sa ? Order::Less : Order::Greater;
    return c;
  }
  if (ka == kb)
    c.order = Order::Equal;
  else
    c.order = (ka < kb) != sa ? Order::Less : Order::Greater;
  return c;
}

}  // namespace vtlab::x87
