// SSE/SSE2 conversions between single, double and integers on XMM
// registers and GPRs. The MMX forms (CVTPI2PS, CVTPS2PI, CVTTPS2PI,
// CVTPI2PD, CVTPD2PI, CVTTPD2PI) have no rows: #UD until MMX exists.
// Out-of-range and NaN inputs to the integer conversions give the integer
// indefinite (0x80000000 / 0x8000000000000000) and #I, as the host does.
#include "cpu/sse/arith.h"

namespace vtlab::sse {
namespace {

using A = Arith;

// CVTSI2SS/CVTSI2SD xmm, r/m32|r/m64: the lane above the result kept.
template <bool Double>
void from_int(Cpu& c, const Insn& i) {
  require_sse(c);
  Xmm d = dst(c, i);
  const u32 csr = host_csr(c.mxcsr);
  u32 f;
  if (i.op[1].size == 8) {
    u64 g = c.read_op<8>(i, 1);
    f = Double ? host::cvtsi2sd(csr, d, g) : host::cvtsi2ss(csr, d, g);
  } else {
    u32 g = c.read_op<4>(i, 1);
    f = Double ? host::cvtsi2sd(csr, d, g) : host::cvtsi2ss(csr, d, g);
  }
  finish(c, f);
  dst(c, i) = d;
}

// CVT(T)SS2SI / CVT(T)SD2SI r32|r64, xmm/m32|m64.
template <u32 (*F4)(u32, const Xmm&, u32&), u32 (*F8)(u32, const Xmm&, u64&)>
void to_int(Cpu& c, const Insn& i) {
  require_sse(c);
  Xmm s = read_src(c, i, 1);
  const u32 csr = host_csr(c.mxcsr);
  if (i.op[0].size == 8) {
    u64 g;
    finish(c, F8(csr, s, g));
    c.write_gpr<8>(i.op[0].reg, g);
  } else {
    u32 g;
    finish(c, F4(csr, s, g));
    c.write_gpr<4>(i.op[0].reg, g);
  }
}

#define VTLAB_TO_INT(mn) (to_int<&host::mn<u32>, &host::mn<u64>>)

const InsnRow kRows[] = {
    VTLAB_SSE_ROW(CVTSI2SS, from_int<false>),
    VTLAB_SSE_ROW(CVTSI2SD, from_int<true>),
    VTLAB_SSE_ROW(CVTSS2SI, VTLAB_TO_INT(cvtss2si)),
    VTLAB_SSE_ROW(CVTTSS2SI, VTLAB_TO_INT(cvttss2si)),
    VTLAB_SSE_ROW(CVTSD2SI, VTLAB_TO_INT(cvtsd2si)),
    VTLAB_SSE_ROW(CVTTSD2SI, VTLAB_TO_INT(cvttsd2si)),
    // Narrowing double -> single can overflow and underflow.
    VTLAB_SSE_ROW(CVTPD2PS, (arith<&host::cvtpd2ps, &host::cvtsd2ss, A::Cvt, u64, u32, 2>)),
    VTLAB_SSE_ROW(CVTSD2SS, (arith<&host::cvtsd2ss, &host::cvtsd2ss, A::Cvt, u64, u32, 1>)),
    VTLAB_SSE_ROW(CVTPS2PD, fp<&host::cvtps2pd>),
    VTLAB_SSE_ROW(CVTSS2SD, fp<&host::cvtss2sd>),
    VTLAB_SSE_ROW(CVTDQ2PS, fp<&host::cvtdq2ps>),
    VTLAB_SSE_ROW(CVTDQ2PD, fp<&host::cvtdq2pd>),
    VTLAB_SSE_ROW(CVTPS2DQ, fp<&host::cvtps2dq>),
    VTLAB_SSE_ROW(CVTTPS2DQ, fp<&host::cvttps2dq>),
    VTLAB_SSE_ROW(CVTPD2DQ, fp<&host::cvtpd2dq>),
    VTLAB_SSE_ROW(CVTTPD2DQ, fp<&host::cvttpd2dq>),
};

#undef VTLAB_TO_INT

}  // namespace

std::span<const InsnRow> convert_rows() { return kRows; }

}  // namespace vtlab::sse
