// SSE2 integer instructions on XMM registers: add/sub (wrapping and
// saturating), multiplies, averages, min/max, PSADBW, compares, shifts
// (by immediate and by xmm/m128 count, byte shifts), PINSRW/PEXTRW.
// (PAND/PANDN/POR/PXOR share the logic handler in sse_fp.cpp.)
#include <algorithm>
#include <limits>
#include <type_traits>

#include "cpu/sse/sse.h"

namespace vtlab::sse {
namespace {

// xmm1 = F(xmm1, xmm2/m128).
template <Xmm (*F)(const Xmm&, const Xmm&)>
void xop(Cpu& c, const Insn& i) {
  require_sse(c);
  Xmm s = read_src(c, i, 1);
  dst(c, i) = F(dst(c, i), s);
}

// Element-wise over lanes of T.
template <typename T, T (*Op)(T, T)>
Xmm lanewise(const Xmm& a, const Xmm& b) {
  Lanes<T> x = lanes<T>(a), y = lanes<T>(b);
  for (unsigned k = 0; k < x.size(); ++k) x[k] = Op(x[k], y[k]);
  return to_xmm(x);
}

template <typename T>
using S = std::make_signed_t<T>;

template <typename T>
T add(T a, T b) { return T(a + b); }
template <typename T>
T sub(T a, T b) { return T(a - b); }

template <typename T, typename W>
T saturate(W v) {
  using L = std::numeric_limits<T>;
  return T(std::clamp<W>(v, W(L::min()), W(L::max())));
}
// Saturating: signed on S<T>, unsigned on T (T is u8 or u16).
template <typename T>
T adds(T a, T b) { return T(saturate<S<T>>(int(S<T>(a)) + int(S<T>(b)))); }
template <typename T>
T subs(T a, T b) { return T(saturate<S<T>>(int(S<T>(a)) - int(S<T>(b)))); }
template <typename T>
T addus(T a, T b) { return saturate<T>(int(a) + int(b)); }
template <typename T>
T subus(T a, T b) { return saturate<T>(int(a) - int(b)); }

u16 mullw(u16 a, u16 b) { return u16(u32(a) * b); }
u16 mulhw(u16 a, u16 b) { return u16(u32(i32(i16(a)) * i16(b)) >> 16); }
u16 mulhuw(u16 a, u16 b) { return u16((u32(a) * b) >> 16); }
template <typename T>
T avg(T a, T b) { return T((u32(a) + b + 1) >> 1); }
u8 minub(u8 a, u8 b) { return std::min(a, b); }
u8 maxub(u8 a, u8 b) { return std::max(a, b); }
u16 minsw(u16 a, u16 b) { return u16(std::min(i16(a), i16(b))); }
u16 maxsw(u16 a, u16 b) { return u16(std::max(i16(a), i16(b))); }
template <typename T>
T cmpeq(T a, T b) { return a == b ? T(~T(0)) : T(0); }
template <typename T>
T cmpgt(T a, T b) { return S<T>(a) > S<T>(b) ? T(~T(0)) : T(0); }

// PMULUDQ: even dwords to quadword products.
Xmm pmuludq(const Xmm& a, const Xmm& b) {
  Lanes<u32> x = lanes<u32>(a), y = lanes<u32>(b);
  return Xmm{u64(x[0]) * y[0], u64(x[2]) * y[2]};
}
// PMADDWD: signed word products summed in pairs (wrapping: only
// 0x8000*0x8000*2 overflows, to 0x80000000).
Xmm pmaddwd(const Xmm& a, const Xmm& b) {
  Lanes<u16> x = lanes<u16>(a), y = lanes<u16>(b);
  Lanes<u32> r;
  for (unsigned k = 0; k < 4; ++k)
    r[k] = u32(i64(i16(x[2 * k])) * i16(y[2 * k]) + i64(i16(x[2 * k + 1])) * i16(y[2 * k + 1]));
  return to_xmm(r);
}
// PSADBW: per quadword, the sum of absolute byte differences.
Xmm psadbw(const Xmm& a, const Xmm& b) {
  Lanes<u8> x = lanes<u8>(a), y = lanes<u8>(b);
  u64 sum[2] = {};
  for (unsigned k = 0; k < 16; ++k) sum[k / 8] += x[k] > y[k] ? x[k] - y[k] : y[k] - x[k];
  return Xmm{sum[0], sum[1]};
}

// Shifts by imm8 or by the low quadword of xmm/m128; counts past the
// element width give 0 (logical) or the sign (arithmetic).
enum class Sh { Left, Right, Arith };
template <typename T, Sh K>
void pshift(Cpu& c, const Insn& i) {
  require_sse(c);
  u64 n = i.op[1].kind == OpKind::Imm ? (i.imm & 0xff) : read_src(c, i, 1).lo;
  constexpr unsigned W = sizeof(T) * 8;
  Lanes<T> d = lanes<T>(dst(c, i));
  for (T& e : d) {
    if (K == Sh::Arith)
      e = T(S<T>(e) >> (n >= W ? W - 1 : n));
    else if (n >= W)
      e = 0;
    else
      e = K == Sh::Left ? T(e << n) : T(e >> n);
  }
  dst(c, i) = to_xmm(d);
}

// PSLLDQ/PSRLDQ: whole-register byte shifts.
template <bool Left>
void pbyteshift(Cpu& c, const Insn& i) {
  require_sse(c);
  unsigned n = unsigned(i.imm & 0xff);
  Lanes<u8> s = lanes<u8>(dst(c, i)), r{};
  for (unsigned k = 0; k < 16; ++k) {
    unsigned from = Left ? k - n : k + n;  // wraps past 15 when out of range
    if (n < 16 && from < 16) r[k] = s[from];
  }
  dst(c, i) = to_xmm(r);
}

// PEXTRW r32/r64, xmm, imm8 (zero-extended), and SSE4.1's PEXTRW m16,
// xmm, imm8 (66 0F 3A 15).
void pextrw(Cpu& c, const Insn& i) {
  require_sse(c);
  const u16 v = lanes<u16>(c.xmm[i.op[1].reg])[i.imm & 7];
  if (i.op[0].kind == OpKind::Mem)
    c.write_lin<u16>(c.mem_linear(i, 2, Access::Write), v);
  else
    c.gpr[i.op[0].reg] = v;
}

// PINSRW xmm, r32/m16, imm8.
void pinsrw(Cpu& c, const Insn& i) {
  require_sse(c);
  u16 v = i.op[1].kind == OpKind::Mem ? c.read_lin<u16>(c.mem_linear(i, 2, Access::Read)) : u16(c.gpr[i.op[1].reg]);
  Lanes<u16> d = lanes<u16>(dst(c, i));
  d[i.imm & 7] = v;
  dst(c, i) = to_xmm(d);
}

#define VTLAB_LANES(MN, T, op) VTLAB_SSE_ROW(MN, (xop<&lanewise<T, &op>>))

const InsnRow kRows[] = {
    VTLAB_LANES(PADDB, u8, add<u8>),
    VTLAB_LANES(PADDW, u16, add<u16>),
    VTLAB_LANES(PADDD, u32, add<u32>),
    VTLAB_LANES(PADDQ, u64, add<u64>),
    VTLAB_LANES(PSUBB, u8, sub<u8>),
    VTLAB_LANES(PSUBW, u16, sub<u16>),
    VTLAB_LANES(PSUBD, u32, sub<u32>),
    VTLAB_LANES(PSUBQ, u64, sub<u64>),
    VTLAB_LANES(PADDSB, u8, adds<u8>),
    VTLAB_LANES(PADDSW, u16, adds<u16>),
    VTLAB_LANES(PADDUSB, u8, addus<u8>),
    VTLAB_LANES(PADDUSW, u16, addus<u16>),
    VTLAB_LANES(PSUBSB, u8, subs<u8>),
    VTLAB_LANES(PSUBSW, u16, subs<u16>),
    VTLAB_LANES(PSUBUSB, u8, subus<u8>),
    VTLAB_LANES(PSUBUSW, u16, subus<u16>),
    VTLAB_LANES(PMULLW, u16, mullw),
    VTLAB_LANES(PMULHW, u16, mulhw),
    VTLAB_LANES(PMULHUW, u16, mulhuw),
    VTLAB_LANES(PAVGB, u8, avg<u8>),
    VTLAB_LANES(PAVGW, u16, avg<u16>),
    VTLAB_LANES(PMINUB, u8, minub),
    VTLAB_LANES(PMAXUB, u8, maxub),
    VTLAB_LANES(PMINSW, u16, minsw),
    VTLAB_LANES(PMAXSW, u16, maxsw),
    VTLAB_LANES(PCMPEQB, u8, cmpeq<u8>),
    VTLAB_LANES(PCMPEQW, u16, cmpeq<u16>),
    VTLAB_LANES(PCMPEQD, u32, cmpeq<u32>),
    VTLAB_LANES(PCMPGTB, u8, cmpgt<u8>),
    VTLAB_LANES(PCMPGTW, u16, cmpgt<u16>),
    VTLAB_LANES(PCMPGTD, u32, cmpgt<u32>),
    VTLAB_SSE_ROW(PMULUDQ, xop<&pmuludq>),
    VTLAB_SSE_ROW(PMADDWD, xop<&pmaddwd>),
    VTLAB_SSE_ROW(PSADBW, xop<&psadbw>),
    VTLAB_SSE_ROW(PSLLW, (pshift<u16, Sh::Left>)),
    VTLAB_SSE_ROW(PSLLD, (pshift<u32, Sh::Left>)),
    VTLAB_SSE_ROW(PSLLQ, (pshift<u64, Sh::Left>)),
    VTLAB_SSE_ROW(PSRLW, (pshift<u16, Sh::Right>)),
    VTLAB_SSE_ROW(PSRLD, (pshift<u32, Sh::Right>)),
    VTLAB_SSE_ROW(PSRLQ, (pshift<u64, Sh::Right>)),
    VTLAB_SSE_ROW(PSRAW, (pshift<u16, Sh::Arith>)),
    VTLAB_SSE_ROW(PSRAD, (pshift<u32, Sh::Arith>)),
    VTLAB_SSE_ROW(PSLLDQ, pbyteshift<true>),
    VTLAB_SSE_ROW(PSRLDQ, pbyteshift<false>),
    VTLAB_SSE_ROW(PEXTRW, pextrw),
    VTLAB_SSE_ROW(PINSRW, pinsrw),
};

#undef VTLAB_LANES

}  // namespace

std::span<const InsnRow> int_rows() { return kRows; }

}  // namespace vtlab::sse
