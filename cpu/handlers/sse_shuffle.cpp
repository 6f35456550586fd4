// SSE/SSE2 shuffles, unpacks and packs: SHUFPS SHUFPD PSHUFD PSHUFHW
// PSHUFLW, UNPCK[LH]PS/PD, PUNPCK[LH]BW/WD/DQ/QDQ, PACKSSWB PACKSSDW
// PACKUSWB. (PSHUFW is MMX: no row, #UD until MMX exists.)
#include <algorithm>
#include <limits>

#include "cpu/sse/sse.h"

namespace vtlab::sse {
namespace {

// xmm1 = F(xmm1, xmm2/m128, imm8).
template <Xmm (*F)(const Xmm&, const Xmm&, u8)>
void xop_imm(Cpu& c, const Insn& i) {
  require_sse(c);
  Xmm s = read_src(c, i, 1);
  dst(c, i) = F(dst(c, i), s, u8(i.imm));
}
template <Xmm (*F)(const Xmm&, const Xmm&)>
void xop(Cpu& c, const Insn& i) {
  require_sse(c);
  Xmm s = read_src(c, i, 1);
  dst(c, i) = F(dst(c, i), s);
}

Xmm shufps(const Xmm& a, const Xmm& b, u8 imm) {
  Lanes<u32> x = lanes<u32>(a), y = lanes<u32>(b);
  return to_xmm(Lanes<u32>{x[imm & 3], x[(imm >> 2) & 3], y[(imm >> 4) & 3], y[(imm >> 6) & 3]});
}
Xmm shufpd(const Xmm& a, const Xmm& b, u8 imm) {
  return Xmm{imm & 1 ? a.hi : a.lo, imm & 2 ? b.hi : b.lo};
}
// PSHUFD / PSHUFLW / PSHUFHW: dst from the source alone.
Xmm pshufd(const Xmm&, const Xmm& b, u8 imm) {
  Lanes<u32> y = lanes<u32>(b);
  return to_xmm(Lanes<u32>{y[imm & 3], y[(imm >> 2) & 3], y[(imm >> 4) & 3], y[(imm >> 6) & 3]});
}
template <unsigned Half>  // 0: low quadword's words, 1: high
Xmm pshufw_half(const Xmm&, const Xmm& b, u8 imm) {
  Lanes<u16> y = lanes<u16>(b), r = y;
  for (unsigned k = 0; k < 4; ++k) r[Half * 4 + k] = y[Half * 4 + ((imm >> (2 * k)) & 3)];
  return to_xmm(r);
}

// Interleave the low (or high) halves of a and b, element by element.
template <typename T, bool High>
Xmm unpack(const Xmm& a, const Xmm& b) {
  Lanes<T> x = lanes<T>(a), y = lanes<T>(b), r;
  constexpr unsigned half = unsigned(r.size()) / 2, base = High ? half : 0;
  for (unsigned k = 0; k < half; ++k) {
    r[2 * k] = x[base + k];
    r[2 * k + 1] = y[base + k];
  }
  return to_xmm(r);
}

// Signed From elements of a then b, saturated to To (signed or unsigned).
template <typename From, typename To>
Xmm pack(const Xmm& a, const Xmm& b) {
  Lanes<From> x = lanes<From>(a), y = lanes<From>(b);
  Lanes<To> r;
  constexpr unsigned n = unsigned(x.size());
  auto sat = [](From v) {
    return To(std::clamp<i64>(v, i64(std::numeric_limits<To>::min()), i64(std::numeric_limits<To>::max())));
  };
  for (unsigned k = 0; k < n; ++k) {
    r[k] = sat(x[k]);
    r[n + k] = sat(y[k]);
  }
  return to_xmm(r);
}

const InsnRow kRows[] = {
    VTLAB_SSE_ROW(SHUFPS, xop_imm<&shufps>),
    VTLAB_SSE_ROW(SHUFPD, xop_imm<&shufpd>),
    VTLAB_SSE_ROW(PSHUFD, xop_imm<&pshufd>),
    VTLAB_SSE_ROW(PSHUFLW, xop_imm<&pshufw_half<0>>),
    VTLAB_SSE_ROW(PSHUFHW, xop_imm<&pshufw_half<1>>),
    VTLAB_SSE_ROW(UNPCKLPS, (xop<&unpack<u32, false>>)),
    VTLAB_SSE_ROW(UNPCKHPS, (xop<&unpack<u32, true>>)),
    VTLAB_SSE_ROW(UNPCKLPD, (xop<&unpack<u64, false>>)),
    VTLAB_SSE_ROW(UNPCKHPD, (xop<&unpack<u64, true>>)),
    VTLAB_SSE_ROW(PUNPCKLBW, (xop<&unpack<u8, false>>)),
    VTLAB_SSE_ROW(PUNPCKHBW, (xop<&unpack<u8, true>>)),
    VTLAB_SSE_ROW(PUNPCKLWD, (xop<&unpack<u16, false>>)),
    VTLAB_SSE_ROW(PUNPCKHWD, (xop<&unpack<u16, true>>)),
    VTLAB_SSE_ROW(PUNPCKLDQ, (xop<&unpack<u32, false>>)),
    VTLAB_SSE_ROW(PUNPCKHDQ, (xop<&unpack<u32, true>>)),
    VTLAB_SSE_ROW(PUNPCKLQDQ, (xop<&unpack<u64, false>>)),
    VTLAB_SSE_ROW(PUNPCKHQDQ, (xop<&unpack<u64, true>>)),
    VTLAB_SSE_ROW(PACKSSWB, (xop<&pack<i16, i8>>)),
    VTLAB_SSE_ROW(PACKSSDW, (xop<&pack<i32, i16>>)),
    VTLAB_SSE_ROW(PACKUSWB, (xop<&pack<i16, u8>>)),
};

}  // namespace

std::span<const InsnRow> shuffle_rows() { return kRows; }

}  // namespace vtlab::sse
