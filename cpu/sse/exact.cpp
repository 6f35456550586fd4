#include "cpu/sse/exact.h"

namespace vtlab::sse {
namespace {


// value = (neg ? -1 : 1) * m * 2^e, m odd (or 0).
struct Dec {
  bool neg;
  u64 m;
  int e;
};

Dec decode(u64 bits, bool dbl, bool daz) {
  Dec d{};
  unsigned exp;
  if (dbl) {
    d.neg = bits >> 63;
    exp = unsigned(bits >> 52) & 0x7ff;
    d.m = bits & ((u64(1) << 52) - 1);
    if (exp) d.m |= u64(1) << 52;
    d.e = exp ? int(exp) - 1075 : -1074;
  } else {
    d.neg = (bits >> 31) & 1;
    exp = unsigned(bits >> 23) & 0xff;
    d.m = bits & 0x7fffff;
    if (exp) d.m |= 1u << 23;
    d.e = exp ? int(exp) - 150 : -149;
  }
  if (!exp && daz) d.m = 0;
  if (d.m) {
    int z = __builtin_ctzll(d.m);
    d.m >>= z;
    d.e += z;
  }
  return d;
}

bool fits(u128 m, unsigned p) {
  if (m == 0) return true;
  while (!(m & 1)) m >>= 1;
  return (m >> p) == 0;
}

}  // namespace

bool exact_unbounded(Arith op, u64 a, u64 b, bool dbl, bool dbl_out, bool daz) {
  const unsigned p = dbl_out ? 53 : 24;
  Dec B = decode(b, dbl, daz);
  if (op == Arith::Cvt) return fits(B.m, p);
  Dec A = decode(a, dbl, daz);
  switch (op) {
    case Arith::Mul: return fits(u128(A.m) * B.m, p);
    case Arith::Div:
      // a/b = (ma/mb) 2^(ea-eb) with mb odd: dyadic only if mb divides ma.
      if (A.m == 0 || B.m == 0) return true;
      return A.m % B.m == 0 && fits(A.m / B.m, p);
    default: {
      if (op == Arith::Sub) B.neg = !B.neg;
      if (A.m == 0) return fits(B.m, p);
      if (B.m == 0) return fits(A.m, p);
      // Aligned at the lower exponent the lower operand is odd, so the sum
      // is odd and spans at least the exponent difference.
      int lo = A.e < B.e ? A.e : B.e;
      int da = A.e - lo, db = B.e - lo;
      if (da > 74 || db > 74) return false;
      i128 x = i128(u128(A.m) << da), y = i128(u128(B.m) << db);
      i128 s = (A.neg ? -x : x) + (B.neg ? -y : y);
      return fits(u128(s < 0 ? -s : s), p);
    }
  }
}

}  // namespace vtlab::sse
