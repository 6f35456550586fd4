#include "cpu/sse/approx.h"

namespace vtlab::sse {
namespace {


constexpr u32 kSign = 0x80000000u, kInf = 0x7f800000u, kQuiet = 0x00400000u, kDefaultNaN = 0xffc00000u;

unsigned bit_length(u128 v) {
  unsigned n = 0;
  while (v) v >>= 1, ++n;
  return n;
}

// Float with the sign of `sign` and magnitude q * 2^scale (q > 0, q the
// true magnitude truncated), rounded to nearest (ties away) at 12
// significant bits; tiny results become zero.
u32 pack12(u32 sign, u128 q, int scale) {
  unsigned len = bit_length(q);
  if (len > 12) {
    unsigned drop = len - 12;
    bool half = (q >> (drop - 1)) & 1;
    q >>= drop;
    scale += int(drop);
    if (half) q += 1;
    if (q >> 12) q >>= 1, ++scale;
    len = 12;
  }
  int exp = int(len) - 1 + scale;  // unbiased exponent of the leading bit
  if (exp < -126) return sign;     // tiny: flushed (SDM RCPPS/RSQRTPS)
  if (exp > 127) return sign | kInf;
  u32 frac = u32(q << (24 - len)) & 0x7fffff;
  return sign | (u32(exp + 127) << 23) | frac;
}

u128 isqrt(u128 n) {
  u128 r = 0, bit = u128(1) << 126;
  while (bit > n) bit >>= 2;
  while (bit) {
    if (n >= r + bit) {
      n -= r + bit;
      r = (r >> 1) + bit;
    } else {
      r >>= 1;
    }
    bit >>= 2;
  }
  return r;
}

}  // namespace

u32 rcp_approx(u32 x) {
  u32 sign = x & kSign, exp = (x >> 23) & 0xff, frac = x & 0x7fffff;
  if (exp == 0xff) return frac ? x | kQuiet : sign;
  if (exp == 0) return sign | kInf;  // +-0 and denormals (treated as 0)
  // x = m * 2^(exp-150), so 1/x = (2^62/m) * 2^(88-exp).
  u64 m = frac | (1u << 23);
  u128 num = u128(1) << 62;
  return pack12(sign, num / m, 88 - int(exp));
}

u32 rsqrt_approx(u32 x) {
  u32 sign = x & kSign, exp = (x >> 23) & 0xff, frac = x & 0x7fffff;
  if (exp == 0xff && frac) return x | kQuiet;
  if (exp == 0) return sign | kInf;   // +-0 and denormals (treated as 0)
  if (sign) return kDefaultNaN;       // negative, including -inf
  if (exp == 0xff) return 0;          // +inf
  // x = m * 2^e with e even; 1/sqrt(x) = sqrt(2^126/m) * 2^(-63-e/2).
  u64 m = frac | (1u << 23);
  int e = int(exp) - 150;
  if (e & 1) m <<= 1, e -= 1;
  u128 num = u128(1) << 126;
  return pack12(0, isqrt(num / m), -63 - e / 2);  // floor(sqrt(floor(y))) == floor(sqrt(y))
}

}  // namespace vtlab::sse
