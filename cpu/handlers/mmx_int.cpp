// MMX integer instructions on MMX registers: add/subtract (wrapping and
// saturating), multiplies, PMADDWD, compares, logic, shifts, packs and
// unpacks (MMX); PAVGB/PAVGW, PMINUB/PMAXUB/PMINSW/PMAXSW, PMULHUW,
// PSADBW, PSHUFW, PEXTRW, PINSRW, PMOVMSKB (SSE); PADDQ, PSUBQ, PMULUDQ
// (SSE2). SDM Vol. 2, each instruction; Vol. 1 ch. 9.
#include <algorithm>
#include <limits>
#include <type_traits>

#include "cpu/x87/mmx.h"

namespace vtlab::x87 {
namespace {

template <typename T>
using S = std::make_signed_t<T>;

// mm = F(mm, mm/m64).
template <u64 (*F)(u64, u64)>
void binop(Cpu& c, const Insn& i) {
  if (!begin_mmx(c)) return;
  const u64 s = mm_src(c, i, 1);
  set_mm(c, i.op[0].reg, F(mm(c, i.op[0].reg), s));
  mmx_transition(c);
}

template <typename T, T (*Op)(T, T)>
u64 lanewise(u64 a, u64 b) {
  Lanes64<T> x = lanes64<T>(a), y = lanes64<T>(b);
  for (unsigned k = 0; k < x.size(); ++k) x[k] = Op(x[k], y[k]);
  return pack64(x);
}

template <typename T>
T add(T a, T b) {
  return T(a + b);
}
template <typename T>
T sub(T a, T b) {
  return T(a - b);
}
template <typename T, typename W>
T saturate(W v) {
  using L = std::numeric_limits<T>;
  return T(std::clamp<W>(v, W(L::min()), W(L::max())));
}
template <typename T>
T adds(T a, T b) {
  return T(saturate<S<T>>(int(S<T>(a)) + int(S<T>(b))));
}
template <typename T>
T subs(T a, T b) {
  return T(saturate<S<T>>(int(S<T>(a)) - int(S<T>(b))));
}
template <typename T>
T addus(T a, T b) {
  return saturate<T>(int(a) + int(b));
}
template <typename T>
T subus(T a, T b) {
  return saturate<T>(int(a) - int(b));
}
u16 mullw(u16 a, u16 b) { return u16(u32(a) * b); }
u16 mulhw(u16 a, u16 b) { return u16(u32(i32(i16(a)) * i16(b)) >> 16); }
u16 mulhuw(u16 a, u16 b) { return u16((u32(a) * b) >> 16); }
template <typename T>
T avg(T a, T b) {
  return T((u32(a) + b + 1) >> 1);
}
u8 minub(u8 a, u8 b) { return std::min(a, b); }
u8 maxub(u8 a, u8 b) { return std::max(a, b); }
u16 minsw(u16 a, u16 b) { return u16(std::min(i16(a), i16(b))); }
u16 maxsw(u16 a, u16 b) { return u16(std::max(i16(a), i16(b))); }
template <typename T>
T cmpeq(T a, T b) {
  return a == b ? T(~T(0)) : T(0);
}
template <typename T>
T cmpgt(T a, T b) {
  return S<T>(a) > S<T>(b) ? T(~T(0)) : T(0);
}

u64 pand(u64 a, u64 b) { return a & b; }
u64 pandn(u64 a, u64 b) { return ~a & b; }
u64 por(u64 a, u64 b) { return a | b; }
u64 pxor(u64 a, u64 b) { return a ^ b; }

// PMULUDQ: the low dwords' 64-bit product.
u64 pmuludq(u64 a, u64 b) { return u64(u32(a)) * u32(b); }
// PMADDWD: signed word products summed in pairs.
u64 pmaddwd(u64 a, u64 b) {
  const Lanes64<u16> x = lanes64<u16>(a), y = lanes64<u16>(b);
  Lanes64<u32> r;
  for (unsigned k = 0; k < 2; ++k)
    r[k] = u32(i64(i16(x[2 * k])) * i16(y[2 * k]) + i64(i16(x[2 * k + 1])) * i16(y[2 * k + 1]));
  return pack64(r);
}
// PSADBW: the sum of absolute byte differences in the low word.
u64 psadbw(u64 a, u64 b) {
  const Lanes64<u8> x = lanes64<u8>(a), y = lanes64<u8>(b);
  u64 sum = 0;
  for (unsigned k = 0; k < 8; ++k) sum += x[k] > y[k] ? x[k] - y[k] : y[k] - x[k];
  return sum;
}

// Packs: destination lanes narrowed into the low half, source into the high.
template <typename From, typename To>
u64 pack_sat(u64 a, u64 b) {
  const Lanes64<From> x = lanes64<From>(a), y = lanes64<From>(b);
  Lanes64<To> r;
  const unsigned n = x.size();
  for (unsigned k = 0; k < n; ++k) {
    r[k] = saturate<To>(i64(S<From>(x[k])));
    r[k + n] = saturate<To>(i64(S<From>(y[k])));
  }
  return pack64(r);
}
// Unpacks: interleave the low (or high) halves' lanes, destination first.
template <typename T, bool High>
u64 unpack(u64 a, u64 b) {
  const Lanes64<T> x = lanes64<T>(a), y = lanes64<T>(b);
  Lanes64<T> r;
  const unsigned half = x.size() / 2, base = High ? half : 0;
  for (unsigned k = 0; k < half; ++k) r[2 * k] = x[base + k], r[2 * k + 1] = y[base + k];
  return pack64(r);
}

// Shifts by imm8 or by mm/m64; counts past the lane width give 0 (logical)
// or the sign (arithmetic).
enum class Sh { Left, Right, Arith };
template <typename T, Sh K>
void pshift(Cpu& c, const Insn& i) {
  if (!begin_mmx(c)) return;
  const u64 n = i.op[1].kind == OpKind::Imm ? (i.imm & 0xff) : mm_src(c, i, 1);
  constexpr unsigned W = sizeof(T) * 8;
  Lanes64<T> d = lanes64<T>(mm(c, i.op[0].reg));
  for (T& e : d) {
    if (K == Sh::Arith)
      e = T(S<T>(e) >> (n >= W ? W - 1 : n));
    else if (n >= W)
      e = 0;
    else
      e = K == Sh::Left ? T(e << n) : T(e >> n);
  }
  set_mm(c, i.op[0].reg, pack64(d));
  mmx_transition(c);
}

// PSHUFW mm, mm/m64, imm8.
void pshufw(Cpu& c, const Insn& i) {
  if (!begin_mmx(c)) return;
  const Lanes64<u16> s = lanes64<u16>(mm_src(c, i, 1));
  Lanes64<u16> r;
  for (unsigned k = 0; k < 4; ++k) r[k] = s[(i.imm >> (2 * k)) & 3];
  set_mm(c, i.op[0].reg, pack64(r));
  mmx_transition(c);
}

// PEXTRW r32/r64, mm, imm8 (zero-extended).
void pextrw(Cpu& c, const Insn& i) {
  if (!begin_mmx(c)) return;
  c.gpr[i.op[0].reg] = lanes64<u16>(mm(c, i.op[1].reg))[i.imm & 3];
  mmx_transition(c);
}

// PINSRW mm, r32/m16, imm8.
void pinsrw(Cpu& c, const Insn& i) {
  if (!begin_mmx(c)) return;
  const u16 v =
      i.op[1].kind == OpKind::Mem ? c.read_lin<u16>(c.mem_linear(i, 2, Access::Read)) : u16(c.gpr[i.op[1].reg]);
  Lanes64<u16> d = lanes64<u16>(mm(c, i.op[0].reg));
  d[i.imm & 3] = v;
  set_mm(c, i.op[0].reg, pack64(d));
  mmx_transition(c);
}

// PMOVMSKB r32/r64, mm: the byte sign bits, zero-extended.
void pmovmskb(Cpu& c, const Insn& i) {
  if (!begin_mmx(c)) return;
  const Lanes64<u8> s = lanes64<u8>(mm(c, i.op[1].reg));
  u64 m = 0;
  for (unsigned k = 0; k < 8; ++k) m |= u64(s[k] >> 7) << k;
  c.gpr[i.op[0].reg] = m;
  mmx_transition(c);
}

#define ROW(MN, ...) \
  InsnRow { ZYDIS_MNEMONIC_##MN, VTLAB_ONE((__VA_ARGS__)) }
#define LANES(MN, T, op) ROW(MN, binop<&lanewise<T, &op>>)

const InsnRow kRows[] = {
    LANES(PADDB, u8, add<u8>),
    LANES(PADDW, u16, add<u16>),
    LANES(PADDD, u32, add<u32>),
    LANES(PADDQ, u64, add<u64>),
    LANES(PSUBB, u8, sub<u8>),
    LANES(PSUBW, u16, sub<u16>),
    LANES(PSUBD, u32, sub<u32>),
    LANES(PSUBQ, u64, sub<u64>),
    LANES(PADDSB, u8, adds<u8>),
    LANES(PADDSW, u16, adds<u16>),
    LANES(PADDUSB, u8, addus<u8>),
    LANES(PADDUSW, u16, addus<u16>),
    LANES(PSUBSB, u8, subs<u8>),
    LANES(PSUBSW, u16, subs<u16>),
    LANES(PSUBUSB, u8, subus<u8>),
    LANES(PSUBUSW, u16, subus<u16>),
    LANES(PMULLW, u16, mullw),
    LANES(PMULHW, u16, mulhw),
    LANES(PMULHUW, u16, mulhuw),
    LANES(PAVGB, u8, avg<u8>),
    LANES(PAVGW, u16, avg<u16>),
    LANES(PMINUB, u8, minub),
    LANES(PMAXUB, u8, maxub),
    LANES(PMINSW, u16, minsw),
    LANES(PMAXSW, u16, maxsw),
    LANES(PCMPEQB, u8, cmpeq<u8>),
    LANES(PCMPEQW, u16, cmpeq<u16>),
    LANES(PCMPEQD, u32, cmpeq<u32>),
    LANES(PCMPGTB, u8, cmpgt<u8>),
    LANES(PCMPGTW, u16, cmpgt<u16>),
    LANES(PCMPGTD, u32, cmpgt<u32>),
    ROW(PAND, binop<&pand>),
    ROW(PANDN, binop<&pandn>),
    ROW(POR, binop<&por>),
    ROW(PXOR, binop<&pxor>),
    ROW(PMULUDQ, binop<&pmuludq>),
    ROW(PMADDWD, binop<&pmaddwd>),
    ROW(PSADBW, binop<&psadbw>),
    ROW(PACKSSWB, binop<&pack_sat<u16, i8>>),
    ROW(PACKSSDW, binop<&pack_sat<u32, i16>>),
    ROW(PACKUSWB, binop<&pack_sat<u16, u8>>),
    ROW(PUNPCKLBW, binop<&unpack<u8, false>>),
    ROW(PUNPCKLWD, binop<&unpack<u16, false>>),
    ROW(PUNPCKLDQ, binop<&unpack<u32, false>>),
    ROW(PUNPCKHBW, binop<&unpack<u8, true>>),
    ROW(PUNPCKHWD, binop<&unpack<u16, true>>),
    ROW(PUNPCKHDQ, binop<&unpack<u32, true>>),
    ROW(PSLLW, pshift<u16, Sh::Left>),
    ROW(PSLLD, pshift<u32, Sh::Left>),
    ROW(PSLLQ, pshift<u64, Sh::Left>),
    ROW(PSRLW, pshift<u16, Sh::Right>),
    ROW(PSRLD, pshift<u32, Sh::Right>),
    ROW(PSRLQ, pshift<u64, Sh::Right>),
    ROW(PSRAW, pshift<u16, Sh::Arith>),
    ROW(PSRAD, pshift<u32, Sh::Arith>),
    ROW(PSHUFW, pshufw),
    ROW(PEXTRW, pextrw),
    ROW(PINSRW, pinsrw),
    ROW(PMOVMSKB, pmovmskb),
};

}  // namespace

std::span<const InsnRow> mmx_int_rows() { return kRows; }

}  // namespace vtlab::x87
