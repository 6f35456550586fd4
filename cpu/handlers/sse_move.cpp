// SSE/SSE2 data movement: MOVAPS/MOVUPS/MOVAPD/MOVUPD/MOVDQA/MOVDQU,
// MOVSS/MOVSD, MOVLPS/MOVHPS/MOVLPD/MOVHPD/MOVLHPS/MOVHLPS, MOVD/MOVQ,
// MOVMSKPS/MOVMSKPD/PMOVMSKB, the non-temporal stores (MOVNTPS MOVNTPD
// MOVNTDQ MOVNTI; the hint changes nothing here) and MASKMOVDQU.
// MMX forms (MOVD/MOVQ with mm, MOVQ2DQ, MOVDQ2Q, MOVNTQ, MASKMOVQ) decode
// to #UD until MMX exists.
#include "cpu/sse/sse.h"

namespace vtlab::sse {
namespace {

// Whole-register moves: xmm <- xmm/m128, m128 <- xmm.
template <Align A>
void mov128(Cpu& c, const Insn& i) {
  require_sse(c);
  if (i.op[0].kind == OpKind::Mem)
    write_mem(c, i, 0, c.xmm[i.op[1].reg], A);
  else
    dst(c, i) = read_src(c, i, 1, A);
}

// MOVSS/MOVSD: a load zeroes the rest of the register, a register move
// keeps it (SDM Vol. 2 MOVSS).
template <typename T>
void movs(Cpu& c, const Insn& i) {
  require_sse(c);
  if (i.op[0].kind == OpKind::Mem) {
    write_mem(c, i, 0, c.xmm[i.op[1].reg]);
  } else if (i.op[1].kind == OpKind::Mem) {
    dst(c, i) = read_src(c, i, 1);
  } else {
    Lanes<T> d = lanes<T>(dst(c, i));
    d[0] = lanes<T>(c.xmm[i.op[1].reg])[0];
    dst(c, i) = to_xmm(d);
  }
}

// MOVLPS/MOVLPD (High=false) and MOVHPS/MOVHPD: one quadword between
// memory and the low or high half; the other half kept.
template <bool High>
void movhl_mem(Cpu& c, const Insn& i) {
  require_sse(c);
  if (i.op[0].kind == OpKind::Mem) {
    const Xmm& s = c.xmm[i.op[1].reg];
    c.write_lin<u64>(c.mem_linear(i, 8, Access::Write), High ? s.hi : s.lo);
  } else {
    u64 v = c.read_lin<u64>(c.mem_linear(i, 8, Access::Read));
    (High ? dst(c, i).hi : dst(c, i).lo) = v;
  }
}
// The register forms of 0F 12/16 are MOVHLPS/MOVLHPS; with 66 they are invalid.
template <bool High>
ChainedHandler select_movhl_mem(const Insn& i) {
  bool mem = i.op[0].kind == OpKind::Mem || i.op[1].kind == OpKind::Mem;
  return operands_mapped(i) && mem ? VTLAB_H(movhl_mem<High>) : nullptr;
}

void movhlps(Cpu& c, const Insn& i) {
  require_sse(c);
  dst(c, i).lo = c.xmm[i.op[1].reg].hi;
}
void movlhps(Cpu& c, const Insn& i) {
  require_sse(c);
  dst(c, i).hi = c.xmm[i.op[1].reg].lo;
}

// MOVD/MOVQ in all XMM forms: into an XMM register the value is
// zero-extended to 128 bits (including MOVQ xmm, xmm: F3 0F 7E and
// 66 0F D6); out of one, the low 32/64 bits go to a GPR or memory.
void movdq(Cpu& c, const Insn& i) {
  require_sse(c);
  if (i.op[0].kind == OpKind::Xmm) {
    const Operand& s = i.op[1];
    u64 v = s.kind == OpKind::Xmm ? c.xmm[s.reg].lo : s.size == 8 ? c.read_op<8>(i, 1) : c.read_op<4>(i, 1);
    dst(c, i) = Xmm{v, 0};
  } else {
    u64 v = c.xmm[i.op[1].reg].lo;
    if (i.op[0].size == 8)
      c.write_op<8>(i, 0, v);
    else
      c.write_op<4>(i, 0, u32(v));
  }
}

// Sign bits to a GPR (zero-extended).
template <typename T>
void movmsk(Cpu& c, const Insn& i) {
  require_sse(c);
  Lanes<T> s = lanes<T>(c.xmm[i.op[1].reg]);
  u64 m = 0;
  for (unsigned k = 0; k < s.size(); ++k) m |= u64(s[k] >> (sizeof(T) * 8 - 1)) << k;
  c.gpr[i.op[0].reg] = m;
}

// MOVNTI m32/m64, r32/r64: an ordinary store of a GPR (no XMM state, so
// none of the CR0/CR4 checks: SDM Vol. 3A §13.1.4).
template <unsigned S>
void movnti(Cpu& c, const Insn& i) {
  c.write_op<S>(i, 0, c.read_reg<S>(i.op[1]));
}

// MASKMOVDQU xmm1, xmm2: bytes of xmm1 whose mask byte in xmm2 has bit 7
// set go to DS:rDI (segment overridable). With an all-zero mask nothing is
// accessed (the SDM leaves faults then implementation-specific). Only the
// span of selected bytes is checked for writability before storing.
void maskmovdqu(Cpu& c, const Insn& i) {
  require_sse(c);
  Lanes<u8> data = lanes<u8>(c.xmm[i.op[0].reg]), mask = lanes<u8>(c.xmm[i.op[1].reg]);
  int first = -1, last = -1;
  for (int k = 0; k < 16; ++k)
    if (mask[k] & 0x80) {
      if (first < 0) first = k;
      last = k;
    }
  if (first < 0) return;
  u64 lin = c.mem_linear(i, 16, Access::Write);
  c.probe_write(lin + unsigned(first), unsigned(last - first + 1));
  for (int k = first; k <= last; ++k)
    if (mask[k] & 0x80) c.write_lin<u8>(lin + unsigned(k), data[k]);
}

const InsnRow kRows[] = {
    VTLAB_SSE_ROW(MOVAPS, mov128<Align::Required>),
    VTLAB_SSE_ROW(MOVAPD, mov128<Align::Required>),
    VTLAB_SSE_ROW(MOVDQA, mov128<Align::Required>),
    VTLAB_SSE_ROW(MOVUPS, mov128<Align::Any>),
    VTLAB_SSE_ROW(MOVUPD, mov128<Align::Any>),
    VTLAB_SSE_ROW(MOVDQU, mov128<Align::Any>),
    VTLAB_SSE_ROW(MOVNTPS, mov128<Align::Required>),
    VTLAB_SSE_ROW(MOVNTPD, mov128<Align::Required>),
    VTLAB_SSE_ROW(MOVNTDQ, mov128<Align::Required>),
    VTLAB_SSE_ROW(MOVSS, movs<u32>),
    VTLAB_SSE_SELECT(MOVLPS, select_movhl_mem<false>),
    VTLAB_SSE_SELECT(MOVLPD, select_movhl_mem<false>),
    VTLAB_SSE_SELECT(MOVHPS, select_movhl_mem<true>),
    VTLAB_SSE_SELECT(MOVHPD, select_movhl_mem<true>),
    VTLAB_SSE_ROW(MOVHLPS, movhlps),
    VTLAB_SSE_ROW(MOVLHPS, movlhps),
    VTLAB_SSE_ROW(MOVD, movdq),
    VTLAB_SSE_ROW(MOVQ, movdq),
    VTLAB_SSE_ROW(MOVMSKPS, movmsk<u32>),
    VTLAB_SSE_ROW(MOVMSKPD, movmsk<u64>),
    VTLAB_SSE_ROW(PMOVMSKB, movmsk<u8>),
    VTLAB_SSE_ROW(MASKMOVDQU, maskmovdqu),
    {ZYDIS_MNEMONIC_MOVNTI, VTLAB_SIZED_WDQ(movnti)},
};

}  // namespace

std::span<const InsnRow> move_rows() { return kRows; }

ChainedHandler movsd_xmm_handler(const Insn& i) { return xmm_forms<&movs<u64>>(i); }

}  // namespace vtlab::sse
