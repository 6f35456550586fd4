// SSE/SSE2 floating-point arithmetic, logic and compares: ADD SUB MUL DIV
// SQRT MIN MAX (ps/pd/ss/sd), RCP/RSQRT (ps/ss), AND ANDN OR XOR (ps/pd),
// CMPxx with predicates 0-7, (U)COMISS/(U)COMISD.
#include "cpu/sse/approx.h"
#include "cpu/sse/arith.h"

namespace vtlab::sse {
namespace {

using A = Arith;

// Bitwise logic: no FP exceptions, no special values.
template <u64 (*Op)(u64, u64)>
void logic(Cpu& c, const Insn& i) {
  require_sse(c);
  Xmm s = read_src(c, i, 1);
  Xmm& d = dst(c, i);
  d.lo = Op(d.lo, s.lo);
  d.hi = Op(d.hi, s.hi);
}
u64 and_(u64 a, u64 b) { return a & b; }
u64 andn(u64 a, u64 b) { return ~a & b; }
u64 or_(u64 a, u64 b) { return a | b; }
u64 xor_(u64 a, u64 b) { return a ^ b; }

// RCP/RSQRT: software (cpu/sse/approx.h); N elements, the rest of the
// destination kept.
template <u32 (*F)(u32), unsigned N>
void approx(Cpu& c, const Insn& i) {
  require_sse(c);
  Lanes<u32> s = lanes<u32>(read_src(c, i, 1));
  Lanes<u32> d = lanes<u32>(dst(c, i));
  for (unsigned k = 0; k < N; ++k) d[k] = F(s[k]);
  dst(c, i) = to_xmm(d);
}

// (U)COMISS/(U)COMISD: ZF PF CF from the compare, OF SF AF cleared.
template <u32 (*F)(u32, const Xmm&, const Xmm&, u64&)>
void comi(Cpu& c, const Insn& i) {
  require_sse(c);
  Xmm b = read_src(c, i, 1);
  u64 eflags;
  finish(c, F(host_csr(c.mxcsr), dst(c, i), b, eflags));
  c.flags.set_arith(fl::kArith, eflags);
}

// CMPPS/CMPPD/CMPSS/CMPSD: legacy SSE uses imm8[2:0] (EQ LT LE UNORD NEQ
// NLT NLE ORD); the handler is chosen by the predicate at decode time.
template <host::Fn P0, host::Fn P1, host::Fn P2, host::Fn P3, host::Fn P4, host::Fn P5, host::Fn P6, host::Fn P7>
ChainedHandler select_cmp(const Insn& i) {
  static constexpr ChainedHandler h[8] = {VTLAB_H(fp<P0>), VTLAB_H(fp<P1>), VTLAB_H(fp<P2>), VTLAB_H(fp<P3>),
                                          VTLAB_H(fp<P4>), VTLAB_H(fp<P5>), VTLAB_H(fp<P6>), VTLAB_H(fp<P7>)};
  return operands_mapped(i) ? h[i.imm & 7] : nullptr;
}
#define VTLAB_CMP(mn)                                                                                            \
  select_cmp<&host::mn<0>, &host::mn<1>, &host::mn<2>, &host::mn<3>, &host::mn<4>, &host::mn<5>, &host::mn<6>, \
             &host::mn<7>>

// Element types: single = u32, double = u64.
#define VTLAB_ARITH_ROWS(MN, mn, K)                                                        \
  VTLAB_SSE_ROW(MN##PS, (arith<&host::mn##ps, &host::mn##ss, K, u32, u32, 4>)),            \
      VTLAB_SSE_ROW(MN##SS, (arith<&host::mn##ss, &host::mn##ss, K, u32, u32, 1>)),        \
      VTLAB_SSE_ROW(MN##PD, (arith<&host::mn##pd, &host::mn##sd, K, u64, u64, 2>)),        \
      VTLAB_SSE_ROW(MN##SD, (arith<&host::mn##sd, &host::mn##sd, K, u64, u64, 1>))
#define VTLAB_FP_ROWS(MN, mn)                                                             \
  VTLAB_SSE_ROW(MN##PS, fp<&host::mn##ps>), VTLAB_SSE_ROW(MN##SS, fp<&host::mn##ss>),     \
      VTLAB_SSE_ROW(MN##PD, fp<&host::mn##pd>), VTLAB_SSE_ROW(MN##SD, fp<&host::mn##sd>)

const InsnRow kRows[] = {
    VTLAB_ARITH_ROWS(ADD, add, A::Add),
    VTLAB_ARITH_ROWS(SUB, sub, A::Sub),
    VTLAB_ARITH_ROWS(MUL, mul, A::Mul),
    VTLAB_ARITH_ROWS(DIV, div, A::Div),
    VTLAB_FP_ROWS(SQRT, sqrt),
    VTLAB_FP_ROWS(MIN, min),
    VTLAB_FP_ROWS(MAX, max),
    VTLAB_SSE_ROW(RCPPS, (approx<&rcp_approx, 4>)),
    VTLAB_SSE_ROW(RCPSS, (approx<&rcp_approx, 1>)),
    VTLAB_SSE_ROW(RSQRTPS, (approx<&rsqrt_approx, 4>)),
    VTLAB_SSE_ROW(RSQRTSS, (approx<&rsqrt_approx, 1>)),
    VTLAB_SSE_ROW(ANDPS, logic<&and_>),
    VTLAB_SSE_ROW(ANDPD, logic<&and_>),
    VTLAB_SSE_ROW(ANDNPS, logic<&andn>),
    VTLAB_SSE_ROW(ANDNPD, logic<&andn>),
    VTLAB_SSE_ROW(ORPS, logic<&or_>),
    VTLAB_SSE_ROW(ORPD, logic<&or_>),
    VTLAB_SSE_ROW(XORPS, logic<&xor_>),
    VTLAB_SSE_ROW(XORPD, logic<&xor_>),
    VTLAB_SSE_ROW(PAND, logic<&and_>),
    VTLAB_SSE_ROW(PANDN, logic<&andn>),
    VTLAB_SSE_ROW(POR, logic<&or_>),
    VTLAB_SSE_ROW(PXOR, logic<&xor_>),
    VTLAB_SSE_SELECT(CMPPS, (VTLAB_CMP(cmpps))),
    VTLAB_SSE_SELECT(CMPPD, (VTLAB_CMP(cmppd))),
    VTLAB_SSE_SELECT(CMPSS, (VTLAB_CMP(cmpss))),
    VTLAB_SSE_ROW(COMISS, comi<&host::comiss>),
    VTLAB_SSE_ROW(UCOMISS, comi<&host::ucomiss>),
    VTLAB_SSE_ROW(COMISD, comi<&host::comisd>),
    VTLAB_SSE_ROW(UCOMISD, comi<&host::ucomisd>),
};

#undef VTLAB_ARITH_ROWS
#undef VTLAB_FP_ROWS

}  // namespace

std::span<const InsnRow> fp_rows() { return kRows; }

ChainedHandler cmpsd_xmm_handler(const Insn& i) { return VTLAB_CMP(cmpsd)(i); }

#undef VTLAB_CMP

}  // namespace vtlab::sse
