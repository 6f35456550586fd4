// SSSE3 (SDM Vol. 1 §12.4) on XMM registers: PSHUFB, PHADDW/D, PHADDSW,
// PHSUBW/D, PHSUBSW, PMADDUBSW, PMULHRSW, PSIGNB/W/D, PABSB/W/D, PALIGNR.
// The MMX forms (0F 38 xx / 0F 3A 0F without 66) have no MMX registers to
// work on yet: operands_mapped() turns them into #UD.
#include <algorithm>
#include <limits>
#include <type_traits>

#include "cpu/sse/sse.h"

namespace vtlab::sse {
namespace {

template <typename T>
using S = std::make_signed_t<T>;

template <typename To>
To saturate(i64 v) {
  using L = std::numeric_limits<To>;
  return To(std::clamp<i64>(v, i64(L::min()), i64(L::max())));
}

// PSHUFB: byte k = d[s[k] & 15], or 0 if bit 7 of s[k] is set.
Xmm pshufb(const Xmm& d, const Xmm& s) {
  const Lanes<u8> x = lanes<u8>(d), sel = lanes<u8>(s);
  Lanes<u8> r;
  for (unsigned k = 0; k < 16; ++k) r[k] = (sel[k] & 0x80) ? 0 : x[sel[k] & 15];
  return to_xmm(r);
}

// Horizontal operations: adjacent pairs of d, then of s (SDM PHADDW:
// dest[0] = d[0] op d[1], ...). Op on the signed values, result truncated
// or saturated by Op.
template <typename T, T (*Op)(T, T)>
Xmm horizontal(const Xmm& d, const Xmm& s) {
  const Lanes<T> x = lanes<T>(d), y = lanes<T>(s);
  Lanes<T> r;
  constexpr unsigned half = unsigned(r.size()) / 2;
  for (unsigned k = 0; k < half; ++k) {
    r[k] = Op(x[2 * k], x[2 * k + 1]);
    r[half + k] = Op(y[2 * k], y[2 * k + 1]);
  }
  return to_xmm(r);
}
template <typename T>
T add(T a, T b) {
  return T(a + b);
}
template <typename T>
T sub(T a, T b) {
  return T(a - b);
}
u16 adds16(u16 a, u16 b) { return u16(saturate<i16>(i64(i16(a)) + i16(b))); }
u16 subs16(u16 a, u16 b) { return u16(saturate<i16>(i64(i16(a)) - i16(b))); }

// PMADDUBSW: unsigned bytes of d times signed bytes of s, adjacent products
// added with signed saturation to words.
Xmm pmaddubsw(const Xmm& d, const Xmm& s) {
  const Lanes<u8> x = lanes<u8>(d), y = lanes<u8>(s);
  Lanes<u16> r;
  for (unsigned k = 0; k < 8; ++k)
    r[k] = u16(saturate<i16>(i64(x[2 * k]) * i8(y[2 * k]) + i64(x[2 * k + 1]) * i8(y[2 * k + 1])));
  return to_xmm(r);
}

// PMULHRSW: signed words multiplied, scaled and rounded: bits 16:1 of
// ((a*b >> 14) + 1).
u16 mulhrs(u16 a, u16 b) { return u16((((i32(i16(a)) * i16(b)) >> 14) + 1) >> 1); }

// PSIGN: d negated where s < 0, zeroed where s = 0, kept where s > 0.
template <typename T>
T sign(T d, T s) {
  if (S<T>(s) < 0) return T(-d);
  return s == 0 ? T(0) : d;
}

template <typename T, T (*Op)(T, T)>
Xmm lanewise(const Xmm& a, const Xmm& b) {
  Lanes<T> x = lanes<T>(a);
  const Lanes<T> y = lanes<T>(b);
  for (unsigned k = 0; k < x.size(); ++k) x[k] = Op(x[k], y[k]);
  return to_xmm(x);
}

// PABS: xmm1 = |xmm2/m128| element by element (unsigned result, so
// |-128| = 0x80).
template <typename T>
Xmm pabs(const Xmm&, const Xmm& s) {
  Lanes<T> y = lanes<T>(s);
  for (T& e : y) e = S<T>(e) < 0 ? T(-e) : e;
  return to_xmm(y);
}

// PALIGNR: the 32-byte value d:s shifted right by imm8 bytes, low 16 kept
// (imm8 >= 32 gives zero).
Xmm palignr(const Xmm& d, const Xmm& s, u8 imm) {
  u8 cat[32];
  std::memcpy(cat, &s, 16);
  std::memcpy(cat + 16, &d, 16);
  Lanes<u8> r{};
  for (unsigned k = 0; k < 16; ++k)
    if (k + imm < 32u) r[k] = cat[k + imm];
  return to_xmm(r);
}

#define VTLAB_XOP(MN, f) VTLAB_SSE_ROW(MN, (binary<f>))

const InsnRow kRows[] = {
    VTLAB_XOP(PSHUFB, &pshufb),
    VTLAB_XOP(PHADDW, (&horizontal<u16, &add<u16>>)),
    VTLAB_XOP(PHADDD, (&horizontal<u32, &add<u32>>)),
    VTLAB_XOP(PHADDSW, (&horizontal<u16, &adds16>)),
    VTLAB_XOP(PHSUBW, (&horizontal<u16, &sub<u16>>)),
    VTLAB_XOP(PHSUBD, (&horizontal<u32, &sub<u32>>)),
    VTLAB_XOP(PHSUBSW, (&horizontal<u16, &subs16>)),
    VTLAB_XOP(PMADDUBSW, &pmaddubsw),
    VTLAB_XOP(PMULHRSW, (&lanewise<u16, &mulhrs>)),
    VTLAB_XOP(PSIGNB, (&lanewise<u8, &sign<u8>>)),
    VTLAB_XOP(PSIGNW, (&lanewise<u16, &sign<u16>>)),
    VTLAB_XOP(PSIGND, (&lanewise<u32, &sign<u32>>)),
    VTLAB_XOP(PABSB, &pabs<u8>),
    VTLAB_XOP(PABSW, &pabs<u16>),
    VTLAB_XOP(PABSD, &pabs<u32>),
    VTLAB_SSE_ROW(PALIGNR, binary_imm<&palignr>),
};

#undef VTLAB_XOP

}  // namespace
}  // namespace vtlab::sse

namespace vtlab {
std::span<const InsnRow> ssse3_rows() { return sse::kRows; }
}  // namespace vtlab
