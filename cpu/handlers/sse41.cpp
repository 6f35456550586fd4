// SSE4.1 (SDM Vol. 1 §12.5-12.9): integer multiplies, min/max, compares and
// packs (PMULLD PMULDQ PMINSB/SD/UW/UD PMAXSB/SD/UW/UD PCMPEQQ PACKUSDW),
// sign/zero extension (PMOVSX*/PMOVZX*), blends (BLENDPS/PD PBLENDW and the
// variable BLENDVPS/PD PBLENDVB on XMM0), PTEST, ROUNDPS/PD/SS/SD, DPPS/DPPD,
// INSERTPS EXTRACTPS, PINSRB/D/Q PEXTRB/D/Q (PEXTRW's memory form is with
// SSE2's PEXTRW in sse_int.cpp), MPSADBW, PHMINPOSUW, MOVNTDQA.
//
// ROUND* are computed in software (cpu/sse/round.h); DPPS/DPPD are the
// SDM's sequence of multiplies and additions, each run by the host's scalar
// SSE2 operation under the guest MXCSR (cpu/sse/arith.h lane_op).
#include <algorithm>
#include <limits>
#include <type_traits>

#include "cpu/sse/arith.h"
#include "cpu/sse/round.h"

namespace vtlab::sse {
namespace {

using A = Arith;

template <typename T>
using S = std::make_signed_t<T>;

template <typename T, T (*Op)(T, T)>
Xmm lanewise(const Xmm& a, const Xmm& b) {
  Lanes<T> x = lanes<T>(a);
  const Lanes<T> y = lanes<T>(b);
  for (unsigned k = 0; k < x.size(); ++k) x[k] = Op(x[k], y[k]);
  return to_xmm(x);
}

// ---- integer ----

u32 mulld(u32 a, u32 b) { return a * b; }
template <typename T>
T min_s(T a, T b) {
  return S<T>(a) < S<T>(b) ? a : b;
}
template <typename T>
T max_s(T a, T b) {
  return S<T>(a) > S<T>(b) ? a : b;
}
template <typename T>
T min_u(T a, T b) {
  return std::min(a, b);
}
template <typename T>
T max_u(T a, T b) {
  return std::max(a, b);
}
u64 cmpeqq(u64 a, u64 b) { return a == b ? ~u64(0) : 0; }

// PMULDQ: the signed even dwords to signed quadword products.
Xmm pmuldq(const Xmm& a, const Xmm& b) {
  const Lanes<u32> x = lanes<u32>(a), y = lanes<u32>(b);
  return Xmm{u64(i64(i32(x[0])) * i32(y[0])), u64(i64(i32(x[2])) * i32(y[2]))};
}

// PACKUSDW: signed dwords of a then b, saturated to unsigned words.
Xmm packusdw(const Xmm& a, const Xmm& b) {
  const Lanes<u32> x = lanes<u32>(a), y = lanes<u32>(b);
  Lanes<u16> r;
  auto sat = [](u32 v) { return u16(std::clamp<i64>(i32(v), 0, 0xffff)); };
  for (unsigned k = 0; k < 4; ++k) r[k] = sat(x[k]), r[4 + k] = sat(y[k]);
  return to_xmm(r);
}

// PMOVSX/PMOVZX: the low elements of the source (an XMM register or a
// memory operand of just the bytes used, no alignment rule) widened.
template <typename From, typename To, bool Signed>
void pmov_extend(Cpu& c, const Insn& i) {
  require_sse(c);
  const Lanes<From> s = lanes<From>(read_src(c, i, 1));
  Lanes<To> r;
  for (unsigned k = 0; k < r.size(); ++k)
    r[k] = Signed ? To(std::make_signed_t<To>(std::make_signed_t<From>(s[k]))) : To(s[k]);
  dst(c, i) = to_xmm(r);
}

// PHMINPOSUW: the smallest unsigned word (the lowest index on a tie) in
// bits 15:0, its index in bits 18:16, the rest zero.
Xmm phminposuw(const Xmm&, const Xmm& s) {
  const Lanes<u16> w = lanes<u16>(s);
  unsigned best = 0;
  for (unsigned k = 1; k < 8; ++k)
    if (w[k] < w[best]) best = k;
  return Xmm{u64(w[best]) | u64(best) << 16, 0};
}

// MPSADBW: eight sums of absolute differences between a 4-byte block of
// the source (imm8[1:0]) and the destination's bytes from an offset
// (imm8[2] * 4) on, sliding by one byte.
Xmm mpsadbw(const Xmm& d, const Xmm& s, u8 imm) {
  const Lanes<u8> x = lanes<u8>(d), y = lanes<u8>(s);
  const unsigned doff = (imm & 4) ? 4 : 0, soff = (imm & 3) * 4;
  Lanes<u16> r;
  for (unsigned k = 0; k < 8; ++k) {
    unsigned sum = 0;
    for (unsigned j = 0; j < 4; ++j) {
      const int a = x[doff + k + j], b = y[soff + j];
      sum += unsigned(a > b ? a - b : b - a);
    }
    r[k] = u16(sum);
  }
  return to_xmm(r);
}

// ---- blends ----

// BLENDPS/BLENDPD/PBLENDW: element k from the source where imm8 bit k is
// set (PBLENDW: 8 words, all 8 bits).
template <typename T>
Xmm blend_imm(const Xmm& d, const Xmm& s, u8 imm) {
  Lanes<T> x = lanes<T>(d);
  const Lanes<T> y = lanes<T>(s);
  for (unsigned k = 0; k < x.size(); ++k)
    if (imm & (1u << k)) x[k] = y[k];
  return to_xmm(x);
}

// BLENDVPS/BLENDVPD/PBLENDVB: element k from the source where the sign bit
// of element k of XMM0 (the implicit mask) is set.
template <typename T>
void blendv(Cpu& c, const Insn& i) {
  require_sse(c);
  const Lanes<T> s = lanes<T>(read_src(c, i, 1)), mask = lanes<T>(c.xmm[0]);
  Lanes<T> d = lanes<T>(dst(c, i));
  for (unsigned k = 0; k < d.size(); ++k)
    if (S<T>(mask[k]) < 0) d[k] = s[k];
  dst(c, i) = to_xmm(d);
}

// PTEST: ZF = (xmm1 AND src) == 0, CF = (NOT xmm1 AND src) == 0; AF OF PF
// SF cleared.
void ptest(Cpu& c, const Insn& i) {
  require_sse(c);
  const Xmm s = read_src(c, i, 1), &d = dst(c, i);
  u64 f = 0;
  if (((d.lo & s.lo) | (d.hi & s.hi)) == 0) f |= fl::ZF;
  if (((~d.lo & s.lo) | (~d.hi & s.hi)) == 0) f |= fl::CF;
  c.flags.set_arith(fl::kArith, f);
}

// ---- floating point ----

// ROUNDPS/PD/SS/SD xmm1, xmm2/m, imm8: imm8[2] selects MXCSR.RC instead of
// imm8[1:0]; imm8[3] suppresses the precision exception. N elements, the
// rest of the destination kept (scalar forms).
template <typename T, unsigned N>
void round_insn(Cpu& c, const Insn& i) {
  require_sse(c);
  const Lanes<T> s = lanes<T>(read_src(c, i, 1));
  Lanes<T> d = lanes<T>(dst(c, i));
  const u8 imm = u8(i.imm);
  const RoundMode m = RoundMode((imm & 4) ? (c.mxcsr & mx::RC) >> 13 : imm & 3);
  const bool daz = c.mxcsr & mx::DAZ, quiet = imm & 8;
  u32 f = 0;
  for (unsigned k = 0; k < N; ++k) {
    if constexpr (sizeof(T) == 4)
      d[k] = round_f32(s[k], m, daz, quiet, &f);
    else
      d[k] = round_f64(s[k], m, daz, quiet, &f);
  }
  finish(c, f);
  dst(c, i) = to_xmm(d);
}

// DPPS/DPPD (SDM Vol. 2 DPPS "Operation"): the products selected by
// imm8[7:4] (+0.0 for the others, no operation and no flags), summed
// pairwise as the pseudo-code orders it, the sum stored where imm8[3:0]
// says and +0.0 elsewhere. The operations run in stages, as the hardware
// does (measured: an unmasked exception in the multiplies stops before the
// additions set any flag; a flag raised by the multiplies stays when an
// addition then takes an unmasked exception): the multiplies, then the two
// pair sums (DPPS), then the final sum; each stage's flags are recorded
// and its unmasked exceptions delivered (finish()) before the next.
template <typename T>
u32 mul(u32 guest, T a, T b, T& r) {
  if constexpr (sizeof(T) == 4)
    return lane_op<&host::mulss, A::Mul>(guest, a, b, r);
  else
    return lane_op<&host::mulsd, A::Mul>(guest, a, b, r);
}
template <typename T>
u32 add(u32 guest, T a, T b, T& r) {
  if constexpr (sizeof(T) == 4)
    return lane_op<&host::addss, A::Add>(guest, a, b, r);
  else
    return lane_op<&host::addsd, A::Add>(guest, a, b, r);
}

template <typename T>
void dot_product(Cpu& c, const Insn& i) {
  require_sse(c);
  constexpr unsigned N = 16 / sizeof(T);
  const Lanes<T> s = lanes<T>(read_src(c, i, 1)), d = lanes<T>(dst(c, i));
  const u8 imm = u8(i.imm);
  const u32 guest = c.mxcsr;
  u32 f = 0;
  Lanes<T> prod{};  // +0.0 where not selected
  for (unsigned k = 0; k < N; ++k)
    if (imm & (0x10u << k)) f |= mul<T>(guest, d[k], s[k], prod[k]);
  finish(c, f);
  T sum;
  if constexpr (N == 4) {
    T lo, hi;
    f = add<T>(guest, prod[0], prod[1], lo);
    f |= add<T>(guest, prod[2], prod[3], hi);
    finish(c, f);
    finish(c, add<T>(guest, lo, hi, sum));
  } else {
    finish(c, add<T>(guest, prod[0], prod[1], sum));
  }
  Lanes<T> r{};
  for (unsigned k = 0; k < N; ++k)
    if (imm & (1u << k)) r[k] = sum;
  dst(c, i) = to_xmm(r);
}

// ---- inserts and extracts ----

// INSERTPS xmm1, xmm2/m32, imm8: the single from xmm2 element imm8[7:6]
// (or m32) into element imm8[5:4], then the elements of imm8[3:0] zeroed.
void insertps(Cpu& c, const Insn& i) {
  require_sse(c);
  const u8 imm = u8(i.imm);
  const u32 v = i.op[1].kind == OpKind::Xmm ? lanes<u32>(c.xmm[i.op[1].reg])[imm >> 6]
                                            : c.read_lin<u32>(c.mem_linear(i, 4, Access::Read));
  Lanes<u32> d = lanes<u32>(dst(c, i));
  d[(imm >> 4) & 3] = v;
  for (unsigned k = 0; k < 4; ++k)
    if (imm & (1u << k)) d[k] = 0;
  dst(c, i) = to_xmm(d);
}

// PEXTRB/PEXTRD/PEXTRQ/EXTRACTPS r/m, xmm, imm8: element imm8 (modulo the
// element count) of xmm to memory, or zero-extended to a whole 64-bit
// register (a 32-bit write zero-extends; PEXTRB/EXTRACTPS r64 likewise).
template <typename T>
void extract(Cpu& c, const Insn& i) {
  require_sse(c);
  const Lanes<T> s = lanes<T>(c.xmm[i.op[1].reg]);
  const T v = s[i.imm % s.size()];
  if (i.op[0].kind == OpKind::Mem)
    write_mem(c, i, 0, Xmm{u64(v), 0});
  else
    c.gpr[i.op[0].reg] = u64(v);
}

// PINSRB/PINSRD/PINSRQ xmm, r/m, imm8: element imm8 (modulo the count)
// replaced by the low bytes of the register or the memory operand.
template <typename T>
void insert(Cpu& c, const Insn& i) {
  require_sse(c);
  const T v =
      i.op[1].kind == OpKind::Mem ? c.read_lin<T>(c.mem_linear(i, sizeof(T), Access::Read)) : T(c.gpr[i.op[1].reg]);
  Lanes<T> d = lanes<T>(dst(c, i));
  d[i.imm % d.size()] = v;
  dst(c, i) = to_xmm(d);
}

// MOVNTDQA xmm, m128: an aligned load (the non-temporal hint changes
// nothing here).
void movntdqa(Cpu& c, const Insn& i) {
  require_sse(c);
  dst(c, i) = read_src(c, i, 1);
}

#define VTLAB_XOP(MN, ...) VTLAB_SSE_ROW(MN, (binary<__VA_ARGS__>))
#define VTLAB_MOVX(MN, F, T, s) VTLAB_SSE_ROW(MN, (pmov_extend<F, T, s>))

const InsnRow kRows[] = {
    VTLAB_XOP(PMULLD, &lanewise<u32, &mulld>),
    VTLAB_XOP(PMULDQ, &pmuldq),
    VTLAB_XOP(PMINSB, &lanewise<u8, &min_s<u8>>),
    VTLAB_XOP(PMINSD, &lanewise<u32, &min_s<u32>>),
    VTLAB_XOP(PMINUW, &lanewise<u16, &min_u<u16>>),
    VTLAB_XOP(PMINUD, &lanewise<u32, &min_u<u32>>),
    VTLAB_XOP(PMAXSB, &lanewise<u8, &max_s<u8>>),
    VTLAB_XOP(PMAXSD, &lanewise<u32, &max_s<u32>>),
    VTLAB_XOP(PMAXUW, &lanewise<u16, &max_u<u16>>),
    VTLAB_XOP(PMAXUD, &lanewise<u32, &max_u<u32>>),
    VTLAB_XOP(PCMPEQQ, &lanewise<u64, &cmpeqq>),
    VTLAB_XOP(PACKUSDW, &packusdw),
    VTLAB_XOP(PHMINPOSUW, &phminposuw),
    VTLAB_SSE_ROW(MPSADBW, binary_imm<&mpsadbw>),
    VTLAB_MOVX(PMOVSXBW, u8, u16, true),
    VTLAB_MOVX(PMOVSXBD, u8, u32, true),
    VTLAB_MOVX(PMOVSXBQ, u8, u64, true),
    VTLAB_MOVX(PMOVSXWD, u16, u32, true),
    VTLAB_MOVX(PMOVSXWQ, u16, u64, true),
    VTLAB_MOVX(PMOVSXDQ, u32, u64, true),
    VTLAB_MOVX(PMOVZXBW, u8, u16, false),
    VTLAB_MOVX(PMOVZXBD, u8, u32, false),
    VTLAB_MOVX(PMOVZXBQ, u8, u64, false),
    VTLAB_MOVX(PMOVZXWD, u16, u32, false),
    VTLAB_MOVX(PMOVZXWQ, u16, u64, false),
    VTLAB_MOVX(PMOVZXDQ, u32, u64, false),
    VTLAB_SSE_ROW(BLENDPS, binary_imm<&blend_imm<u32>>),
    VTLAB_SSE_ROW(BLENDPD, binary_imm<&blend_imm<u64>>),
    VTLAB_SSE_ROW(PBLENDW, binary_imm<&blend_imm<u16>>),
    VTLAB_SSE_ROW(BLENDVPS, blendv<u32>),
    VTLAB_SSE_ROW(BLENDVPD, blendv<u64>),
    VTLAB_SSE_ROW(PBLENDVB, blendv<u8>),
    VTLAB_SSE_ROW(PTEST, ptest),
    VTLAB_SSE_ROW(ROUNDPS, (round_insn<u32, 4>)),
    VTLAB_SSE_ROW(ROUNDPD, (round_insn<u64, 2>)),
    VTLAB_SSE_ROW(ROUNDSS, (round_insn<u32, 1>)),
    VTLAB_SSE_ROW(ROUNDSD, (round_insn<u64, 1>)),
    VTLAB_SSE_ROW(DPPS, dot_product<u32>),
    VTLAB_SSE_ROW(DPPD, dot_product<u64>),
    VTLAB_SSE_ROW(INSERTPS, insertps),
    VTLAB_SSE_ROW(EXTRACTPS, extract<u32>),
    VTLAB_SSE_ROW(PEXTRB, extract<u8>),
    VTLAB_SSE_ROW(PEXTRD, extract<u32>),
    VTLAB_SSE_ROW(PEXTRQ, extract<u64>),
    VTLAB_SSE_ROW(PINSRB, insert<u8>),
    VTLAB_SSE_ROW(PINSRD, insert<u32>),
    VTLAB_SSE_ROW(PINSRQ, insert<u64>),
    VTLAB_SSE_ROW(MOVNTDQA, movntdqa),
};

#undef VTLAB_XOP
#undef VTLAB_MOVX

}  // namespace
}  // namespace vtlab::sse

namespace vtlab {
std::span<const InsnRow> sse41_rows() { return sse::kRows; }
}  // namespace vtlab
