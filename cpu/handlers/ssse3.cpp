// SSSE3 (SDM Vol. 1 §12.4) on XMM registers: PSHUFB, PHADDW/D, PHADDSW,
// PHSUBW/D, PHSUBSW, PMADDUBSW, PMULHRSW, PSIGNB/W/D, PABSB/W/D, PALIGNR.
// The MMX forms (0F 38 xx / 0F 3A 0F without 66) run the same functions on
// the 64-bit operands placed in XMM values, so each operation has one
// definition (ssse3_mmx_rows()).
#include <algorithm>
#include <limits>
#include <type_traits>

#include "cpu/sse/sse.h"
#include "cpu/x87/mmx.h"

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

// ---- MMX forms (SDM Vol. 2, each instruction's 64-bit form; exceptions:
// Vol. 3B Table 22-7: #UD with CR0.EM, #NM with CR0.TS, #MF with an x87
// exception pending; CR4.OSFXSR does not matter) ----

// How a 64-bit operation is placed in the 128-bit one: the result is the
// low quadword of F(d', s').
enum class Embed : u8 {
  Low,     // d' = {d, 0}, s' = {s, 0}: element by element
  Pairs,   // d' = {d, s}: the horizontal operations pair d, then s
  Twice,   // d' = {d, d}: PSHUFB's index bit 3 selects the same bytes
  Concat,  // d' = 0, s' = {s, d}: PALIGNR's d:s
};

Xmm embed_d(Embed e, u64 d, u64 s) {
  switch (e) {
    case Embed::Pairs:
      return {d, s};
    case Embed::Twice:
      return {d, d};
    case Embed::Concat:
      return {0, 0};
    default:
      return {d, 0};
  }
}
Xmm embed_s(Embed e, u64 d, u64 s) { return e == Embed::Concat ? Xmm{s, d} : Xmm{s, 0}; }

template <Xmm (*F)(const Xmm&, const Xmm&), Embed E>
void mmx_binary(Cpu& c, const Insn& i) {
  if (!x87::begin_mmx(c)) return;
  const u64 s = x87::mm_src(c, i, 1), d = x87::mm(c, i.op[0].reg);
  x87::set_mm(c, i.op[0].reg, F(embed_d(E, d, s), embed_s(E, d, s)).lo);
  x87::mmx_transition(c);
}

void mmx_palignr(Cpu& c, const Insn& i) {
  if (!x87::begin_mmx(c)) return;
  const u64 s = x87::mm_src(c, i, 1), d = x87::mm(c, i.op[0].reg);
  const Embed e = Embed::Concat;
  x87::set_mm(c, i.op[0].reg, palignr(embed_d(e, d, s), embed_s(e, d, s), u8(i.imm)).lo);
  x87::mmx_transition(c);
}

#define VTLAB_MOP(MN, f, E) \
  InsnRow { ZYDIS_MNEMONIC_##MN, VTLAB_ONE((mmx_binary<f, Embed::E>)) }

const InsnRow kMmxRows[] = {
    VTLAB_MOP(PSHUFB, &pshufb, Twice),
    VTLAB_MOP(PHADDW, (&horizontal<u16, &add<u16>>), Pairs),
    VTLAB_MOP(PHADDD, (&horizontal<u32, &add<u32>>), Pairs),
    VTLAB_MOP(PHADDSW, (&horizontal<u16, &adds16>), Pairs),
    VTLAB_MOP(PHSUBW, (&horizontal<u16, &sub<u16>>), Pairs),
    VTLAB_MOP(PHSUBD, (&horizontal<u32, &sub<u32>>), Pairs),
    VTLAB_MOP(PHSUBSW, (&horizontal<u16, &subs16>), Pairs),
    VTLAB_MOP(PMADDUBSW, &pmaddubsw, Low),
    VTLAB_MOP(PMULHRSW, (&lanewise<u16, &mulhrs>), Low),
    VTLAB_MOP(PSIGNB, (&lanewise<u8, &sign<u8>>), Low),
    VTLAB_MOP(PSIGNW, (&lanewise<u16, &sign<u16>>), Low),
    VTLAB_MOP(PSIGND, (&lanewise<u32, &sign<u32>>), Low),
    VTLAB_MOP(PABSB, &pabs<u8>, Low),
    VTLAB_MOP(PABSW, &pabs<u16>, Low),
    VTLAB_MOP(PABSD, &pabs<u32>, Low),
    InsnRow{ZYDIS_MNEMONIC_PALIGNR, VTLAB_ONE(mmx_palignr)},
};

#undef VTLAB_MOP

}  // namespace
}  // namespace vtlab::sse

namespace vtlab {
std::span<const InsnRow> ssse3_rows() { return sse::kRows; }
std::span<const InsnRow> ssse3_mmx_rows() { return sse::kMmxRows; }
}  // namespace vtlab
