// MMX data movement and state: MOVD/MOVQ with MMX registers, MOVNTQ,
// MASKMOVQ, EMMS (MMX/SSE); MOVQ2DQ, MOVDQ2Q (SSE2); and the conversions
// between MMX integers and SSE floating point: CVTPI2PS, CVTPS2PI,
// CVTTPS2PI (SSE), CVTPI2PD, CVTPD2PI, CVTTPD2PI (SSE2). SDM Vol. 2, each
// instruction.
#include <vector>

#include "cpu/sse/fp_env.h"
#include "cpu/sse/sse.h"
#include "cpu/x87/mmx.h"

namespace vtlab::x87 {
namespace {

// MOVD/MOVQ: into an MMX register the value is zero-extended to 64 bits;
// out of one, the low 32 or 64 bits go to a GPR or memory.
void movdq(Cpu& c, const Insn& i) {
  if (!begin_mmx(c)) return;
  if (i.op[0].kind == OpKind::Mmx) {
    const Operand& s = i.op[1];
    u64 v;
    if (s.kind == OpKind::Mmx)
      v = mm(c, s.reg);
    else
      v = s.size == 8 ? c.read_op<8>(i, 1) : c.read_op<4>(i, 1);
    set_mm(c, i.op[0].reg, v);
  } else {
    const u64 v = mm(c, i.op[1].reg);
    if (i.op[0].size == 8)
      c.write_op<8>(i, 0, v);
    else
      c.write_op<4>(i, 0, u32(v));
  }
  mmx_transition(c);
}

// MOVNTQ m64, mm (the non-temporal hint changes nothing here).
void movntq(Cpu& c, const Insn& i) {
  if (!begin_mmx(c)) return;
  c.write_lin<u64>(c.mem_linear(i, 8, Access::Write), mm(c, i.op[1].reg));
  mmx_transition(c);
}

// MASKMOVQ mm1, mm2: bytes of mm1 whose mask byte in mm2 has bit 7 set go
// to DS:rDI (segment overridable); nothing is accessed with a zero mask.
void maskmovq(Cpu& c, const Insn& i) {
  if (!begin_mmx(c)) return;
  const Lanes64<u8> data = lanes64<u8>(mm(c, i.op[0].reg)), mask = lanes64<u8>(mm(c, i.op[1].reg));
  int first = -1, last = -1;
  for (int k = 0; k < 8; ++k)
    if (mask[k] & 0x80) {
      if (first < 0) first = k;
      last = k;
    }
  if (first >= 0) {
    const u64 lin = c.mem_linear(i, 8, Access::Write);
    c.probe_write(lin + unsigned(first), unsigned(last - first + 1));
    for (int k = first; k <= last; ++k)
      if (mask[k] & 0x80) c.write_lin<u8>(lin + unsigned(k), data[k]);
  }
  mmx_transition(c);
}

// EMMS: every tag empty, and TOP = 0 as after every MMX instruction (SDM
// Vol. 3A §12.2: "each time an MMX instruction is executed, the TOS value is
// set to 000B"; Vol. 1 Table 9-2).
void emms(Cpu& c, const Insn&) {
  if (!begin_mmx(c)) return;
  set_top(c, 0);
  c.x87.tags = 0;
}

// The SSE2 moves between XMM and MMX registers: the SSE availability
// checks, then the pending x87 exception (SDM Vol. 2 MOVQ2DQ/MOVDQ2Q).
[[nodiscard]] bool begin_sse_mmx(Cpu& c) {
  sse::require_sse(c);
  return check_pending(c);
}

void movq2dq(Cpu& c, const Insn& i) {
  if (!begin_sse_mmx(c)) return;
  c.xmm[i.op[0].reg] = Xmm{mm(c, i.op[1].reg), 0};
  mmx_transition(c);
}

void movdq2q(Cpu& c, const Insn& i) {
  if (!begin_sse_mmx(c)) return;
  set_mm(c, i.op[0].reg, c.xmm[i.op[1].reg].lo);
  mmx_transition(c);
}

// CVTPI2PS/CVTPI2PD xmm, mm/m64. With a memory source there is no MMX
// state involved: no transition and no pending-exception check (SDM Vol. 2:
// "For operands xmm, m64: the instruction does not cause a transition to
// MMX technology and does not take x87 FPU exceptions").
template <bool Double>
void cvtpi2p(Cpu& c, const Insn& i) {
  const bool mmx_src = i.op[1].kind == OpKind::Mmx;
  sse::require_sse(c);
  if (mmx_src && !check_pending(c)) return;
  const u64 src = mmx_src ? mm(c, i.op[1].reg) : c.read_lin<u64>(c.mem_linear(i, 8, Access::Read));
  Xmm r{src, 0};
  const u32 flags =
      Double ? sse::host::cvtdq2pd(sse::host_csr(c.mxcsr), r, r) : sse::host::cvtdq2ps(sse::host_csr(c.mxcsr), r, r);
  // The transition comes before an unmasked SIMD exception's #XM (as this
  // CPU does), after the operand is read (a #PF leaves the tags alone).
  if (mmx_src) mmx_transition(c);
  sse::finish(c, flags);
  Xmm& d = c.xmm[i.op[0].reg];
  if (Double)
    d = r;
  else
    d.lo = r.lo;  // the high quadword is kept
}

// CVT(T)PS2PI mm, xmm/m64 and CVT(T)PD2PI mm, xmm/m128 (aligned).
template <u32 (*F)(u32, Xmm&, const Xmm&), bool Double>
void cvtp2pi(Cpu& c, const Insn& i) {
  if (!begin_sse_mmx(c)) return;
  Xmm s = sse::read_src(c, i, 1);
  if (!Double) s.hi = 0;  // only the low two singles take part
  Xmm r{};
  const u32 flags = F(sse::host_csr(c.mxcsr), r, s);
  mmx_transition(c);  // before #XM, as in cvtpi2p
  sse::finish(c, flags);
  set_mm(c, i.op[0].reg, r.lo);
}

#define ROW(MN, ...) \
  InsnRow { ZYDIS_MNEMONIC_##MN, VTLAB_ONE((__VA_ARGS__)) }

const InsnRow kRows[] = {
    ROW(MOVD, movdq),
    ROW(MOVQ, movdq),
    ROW(MOVNTQ, movntq),
    ROW(MASKMOVQ, maskmovq),
    ROW(EMMS, emms),
    ROW(MOVQ2DQ, movq2dq),
    ROW(MOVDQ2Q, movdq2q),
    ROW(CVTPI2PS, cvtpi2p<false>),
    ROW(CVTPI2PD, cvtpi2p<true>),
    ROW(CVTPS2PI, cvtp2pi<&sse::host::cvtps2dq, false>),
    ROW(CVTTPS2PI, cvtp2pi<&sse::host::cvttps2dq, false>),
    ROW(CVTPD2PI, cvtp2pi<&sse::host::cvtpd2dq, true>),
    ROW(CVTTPD2PI, cvtp2pi<&sse::host::cvttpd2dq, true>),
};

}  // namespace

std::span<const InsnRow> mmx_move_rows() { return kRows; }

}  // namespace vtlab::x87

namespace vtlab {
namespace x87 {
std::span<const InsnRow> mmx_int_rows();
}

std::span<const InsnRow> mmx_rows() {
  static const std::vector<InsnRow> rows = [] {
    std::vector<InsnRow> v;
    for (auto group : {x87::mmx_int_rows(), x87::mmx_move_rows(), ssse3_mmx_rows()})
      v.insert(v.end(), group.begin(), group.end());
    return v;
  }();
  return rows;
}

}  // namespace vtlab
