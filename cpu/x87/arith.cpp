// x87 basic arithmetic, exactly rounded (SDM Vol. 1 §4.8, §8.5; the special
// cases of each instruction follow its table in Vol. 2).
#include "cpu/x87/arith.h"

#include <bit>
#include <cmath>

namespace vtlab::x87 {
namespace {

Result invalid(const Env& env) {
  Result r;
  r.v = kIndefinite;
  r.flags = ex::IE;
  r.write = env.masked(ex::IE);
  return r;
}

// Unsupported formats and NaNs, in the priority order of SDM Vol. 1 §8.5:
// true when `r` holds the outcome.
bool nan_or_unsupported(F80 a, F80 b, Cls ca, Cls cb, const Env& env, Result& r) {
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

// The denormal-operand exception: flagged; when unmasked nothing else happens.
bool denormal_stops(bool any_denormal, const Env& env, Result& r) {
  if (!any_denormal) return false;
  r.flags |= ex::DE;
  if (env.masked(ex::DE)) return false;
  r.write = false;
  return true;
}

Result rounded(const Unrounded& u, const Env& env, u8 flags) {
  Result r = round_pack(u, env);
  r.flags |= flags;
  return r;
}

// Exact zero result of an addition: +0, or -0 when rounding down
// (IEEE 754 §6.3); the sum of two zeros of one sign keeps it.
F80 zero_sum(bool sa, bool sb, Rounding rc) {
  if (sa == sb) return zero(sa);
  return zero(rc == Rounding::Down);
}

Result add_signed(F80 a, F80 b, bool negate_b, const Env& env, bool den_op) {
  const Cls ca = classify(a), cb = classify(b);
  const bool den = den_op || ca == Cls::Denormal || cb == Cls::Denormal;
  Result r;
  if (nan_or_unsupported(a, b, ca, cb, env, r)) return r;
  const bool sa = a.sign(), sb = b.sign() != negate_b;
  if (ca == Cls::Inf || cb == Cls::Inf) {
    if (ca == Cls::Inf && cb == Cls::Inf && sa != sb) return invalid(env);
    if (denormal_stops(den, env, r)) return r;
    r.v = infinity(ca == Cls::Inf ? sa : sb);
    return r;
  }
  if (denormal_stops(den, env, r)) return r;
  const u8 pre = r.flags;
  if (ca == Cls::Zero && cb == Cls::Zero) {
    r.v = zero_sum(sa, sb, env.rc);
    return r;
  }
  if (cb == Cls::Zero) {
    Unrounded u = unpack(a);
    return rounded(u, env, pre);
  }
  if (ca == Cls::Zero) {
    Unrounded u = unpack(b);
    u.sign = sb;
    return rounded(u, env, pre);
  }
  Unrounded x = unpack(a), y = unpack(b);
  x.sign = sa, y.sign = sb;
  if (x.exp < y.exp || (x.exp == y.exp && x.m < y.m)) std::swap(x, y);
  const i32 d = x.exp - y.exp;
  // One bit of headroom so the sum cannot carry out; shifted-out bits of the
  // smaller operand become a sticky bit (x's low 64 bits are zero).
  const u128 mx = x.m >> 1;
  u128 my;
  if (d + 1 >= 128)
    my = 1;
  else
    my = (y.m >> (d + 1)) | ((y.m & ((u128(1) << (d + 1)) - 1)) != 0 ? 1 : 0);
  if (x.sign == y.sign) return rounded(normalized(x.sign, x.exp + 1, mx + my), env, pre);
  const u128 diff = mx - my;
  if (diff == 0) {
    r.v = zero_sum(false, true, env.rc);
    return r;
  }
  return rounded(normalized(x.sign, x.exp + 1, diff), env, pre);
}

// floor(sqrt(m)) for m < 2^128. The double estimate is IEEE (the same bits
// on every host); integer Newton steps from above give the exact floor.
u64 isqrt128(u128 m) {
  const double d = std::sqrt(double(m));
  u128 r = d >= 18446744073709551616.0 ? ~u64(0) : u128(u64(d));
  r += 8192;
  for (;;) {
    const u128 n = (r + m / r) >> 1;
    if (n >= r) break;
    r = n;
  }
  return u64(r);
}

}  // namespace

Result add(F80 a, F80 b, const Env& env, bool den) { return add_signed(a, b, false, env, den); }
Result sub(F80 a, F80 b, const Env& env, bool den) { return add_signed(a, b, true, env, den); }

Result mul(F80 a, F80 b, const Env& env, bool den_op) {
  const Cls ca = classify(a), cb = classify(b);
  const bool den = den_op || ca == Cls::Denormal || cb == Cls::Denormal;
  Result r;
  if (nan_or_unsupported(a, b, ca, cb, env, r)) return r;
  const bool s = a.sign() != b.sign();
  if (ca == Cls::Inf || cb == Cls::Inf) {
    if (ca == Cls::Zero || cb == Cls::Zero) return invalid(env);
    if (denormal_stops(den, env, r)) return r;
    r.v = infinity(s);
    return r;
  }
  if (denormal_stops(den, env, r)) return r;
  if (ca == Cls::Zero || cb == Cls::Zero) {
    r.v = zero(s);
    return r;
  }
  const Unrounded x = unpack(a), y = unpack(b);
  const u128 p = u128(u64(x.m >> 64)) * u64(y.m >> 64);
  return rounded(normalized(s, x.exp + y.exp - kBias + 1, p), env, r.flags);
}

Result div(F80 a, F80 b, const Env& env, bool den_op) {
  const Cls ca = classify(a), cb = classify(b);
  Result r;
  if (nan_or_unsupported(a, b, ca, cb, env, r)) return r;
  const bool s = a.sign() != b.sign();
  if (ca == Cls::Inf) {
    if (cb == Cls::Inf) return invalid(env);
    if (denormal_stops(den_op || cb == Cls::Denormal, env, r)) return r;
    r.v = infinity(s);
    return r;
  }
  if (cb == Cls::Inf) {
    if (denormal_stops(den_op || ca == Cls::Denormal, env, r)) return r;
    r.v = zero(s);
    return r;
  }
  if (ca == Cls::Zero && cb == Cls::Zero) return invalid(env);
  if (cb == Cls::Zero) {  // before #D: a denormal dividend raises only #Z (as this CPU does)
    r.flags |= ex::ZE;
    r.v = infinity(s);
    r.write = env.masked(ex::ZE);
    return r;
  }
  if (denormal_stops(den_op || ca == Cls::Denormal || cb == Cls::Denormal, env, r)) return r;
  if (ca == Cls::Zero) {
    r.v = zero(s);
    return r;
  }
  const Unrounded x = unpack(a), y = unpack(b);
  const u64 sa = u64(x.m >> 64), sb = u64(y.m >> 64);
  const bool big = sa >= sb;
  const u128 num = u128(sa) << (big ? 63 : 64);
  const u64 q1 = u64(num / sb), r1 = u64(num % sb);
  const u128 num2 = u128(r1) << 64;
  const u64 q2 = u64(num2 / sb), r2 = u64(num2 % sb);
  const u128 m = (u128(q1) << 64) | q2 | (r2 != 0 ? 1 : 0);
  return rounded(normalized(s, x.exp - y.exp + kBias - (big ? 0 : 1), m), env, r.flags);
}

Result sqrt(F80 a, const Env& env) {
  const Cls ca = classify(a);
  Result r;
  if (nan_or_unsupported(a, a, ca, ca, env, r)) return r;
  if (ca == Cls::Zero) {
    r.v = a;  // sqrt(-0) = -0
    return r;
  }
  if (a.sign()) return invalid(env);
  if (ca == Cls::Inf) {
    r.v = a;
    return r;
  }
  if (denormal_stops(ca == Cls::Denormal, env, r)) return r;
  const Unrounded x = unpack(a);
  const i32 e = x.exp - kBias;
  const u64 sig = u64(x.m >> 64);
  const bool odd = e & 1;
  const u128 m = u128(sig) << (odd ? 64 : 63);
  const u64 root = isqrt128(m);
  const u128 rem = m - u128(root) * root;
  // Below or above half way (never exactly: a square root's bits never
  // end in a single 1 at the round position).
  const u64 rest = rem == 0 ? 0 : rem > root ? 0x8000000000000001ull : 1;
  const i32 half = (e - (odd ? 1 : 0)) / 2;
  return rounded(Unrounded{false, half + kBias, (u128(root) << 64) | rest}, env, r.flags);
}

}  // namespace vtlab::x87
