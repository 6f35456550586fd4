// Descriptor inspection: LAR, LSL, VERR, VERW (SDM Vol. 2). They never
// fault on a bad selector: ZF says whether the descriptor passed the checks
// (a #PF reading the table still faults). Real and virtual-8086 mode: #UD.
#include "cpu/handlers/common.h"

namespace vtlab {
namespace {

// The descriptor of `sel` if it is within its table, else nullopt-like.
bool fetch_descriptor(Cpu& c, u16 sel, u64& d) {
  if ((sel & 0xfffc) == 0) return false;
  const bool ldt = sel & 4;
  if (ldt && (c.ldtr.attr & ar::Unusable)) return false;
  const u32 limit = ldt ? c.ldtr.limit : c.gdtr.limit;
  if ((sel & ~7u) + 7 > limit) return false;
  d = c.read_descriptor(sel);
  return true;
}

// System descriptor types LAR (gates too) and LSL accept (SDM Vol. 2 LAR
// Table 3-52, LSL Table 3-62); IA-32e mode knows fewer types.
bool system_type_ok(const Cpu& c, unsigned type, bool lar) {
  if (c.efer & efer::LMA) return type == 0x2 || type == 0x9 || type == 0xb || (lar && type == 0xc);
  switch (type) {
    case 0x1:
    case 0x2:
    case 0x3:
    case 0x9:
    case 0xb:
      return true;
    case 0x4:
    case 0x5:
    case 0xc:
      return lar;
    default:
      return false;
  }
}

// The checks LAR and LSL share: a known type, and for everything but
// conforming code, DPL >= CPL and DPL >= RPL.
bool visible(Cpu& c, u16 sel, u64 d, bool lar) {
  const unsigned type = (d >> 40) & 0xf, dpl = (d >> 45) & 3;
  const bool system = !((d >> 44) & 1);
  if (system && !system_type_ok(c, type, lar)) return false;
  const bool conforming_code = !system && (type & 0xc) == 0xc;
  return conforming_code || (dpl >= c.cpl && dpl >= (sel & 3u));
}

void require_protected(Cpu& c) {
  if (!c.protected_mode() || c.v86()) c.raise(kUD);
}

void write_result(Cpu& c, const Insn& i, u32 v) {
  if (i.op[0].size == 2)
    c.write_reg<2>(i.op[0], u16(v));
  else
    c.gpr[i.op[0].reg] = v;  // 32 and 64-bit destinations: zero-extended
}

void lar(Cpu& c, const Insn& i) {
  require_protected(c);
  const u16 sel = c.read_op<2>(i, 1);
  u64 d = 0;
  const bool ok = fetch_descriptor(c, sel, d) && visible(c, sel, d, true);
  if (ok) write_result(c, i, u32(d >> 32) & 0x00f0ff00);  // type, S, DPL, P, AVL, L, D/B, G
  c.flags.set_arith(fl::ZF, ok ? fl::ZF : 0);
}

void lsl(Cpu& c, const Insn& i) {
  require_protected(c);
  const u16 sel = c.read_op<2>(i, 1);
  u64 d = 0;
  const bool ok = fetch_descriptor(c, sel, d) && visible(c, sel, d, false);
  if (ok) write_result(c, i, Cpu::segment_from_descriptor(sel, d).limit);
  c.flags.set_arith(fl::ZF, ok ? fl::ZF : 0);
}

// VERR/VERW: a code or data segment readable (writable) at CPL and RPL.
template <bool WRITE>
void verify(Cpu& c, const Insn& i) {
  require_protected(c);
  const u16 sel = c.read_op<2>(i, 0);
  u64 d = 0;
  bool ok = fetch_descriptor(c, sel, d) && ((d >> 44) & 1);
  if (ok) {
    const unsigned type = (d >> 40) & 0xf, dpl = (d >> 45) & 3;
    const bool code = type & ar::kTypeCode;
    const bool privileged_ok = dpl >= c.cpl && dpl >= (sel & 3u);
    if (WRITE)
      ok = !code && (type & ar::kTypeWritable) && privileged_ok;
    else
      ok = code ? (type & ar::kTypeReadable) && ((type & ar::kTypeConforming) || privileged_ok) : privileged_ok;
  }
  c.flags.set_arith(fl::ZF, ok ? fl::ZF : 0);
}

constexpr InsnRow kRows[] = {
    {ZYDIS_MNEMONIC_LAR, VTLAB_ONE(lar)},
    {ZYDIS_MNEMONIC_LSL, VTLAB_ONE(lsl)},
    {ZYDIS_MNEMONIC_VERR, VTLAB_ONE(verify<false>)},
    {ZYDIS_MNEMONIC_VERW, VTLAB_ONE(verify<true>)},
};

}  // namespace

std::span<const InsnRow> segment_rows() { return kRows; }

}  // namespace vtlab
