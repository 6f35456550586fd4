// Decimal arithmetic, valid outside 64-bit mode only (Zydis rejects the
// opcodes in 64-bit mode, which makes them #UD there): DAA DAS AAA AAS AAM
// AAD, per the pseudo-code of SDM Vol. 2.
#include "cpu/handlers/common.h"

namespace vtlab {
namespace {

u8 al(const Cpu& c) { return u8(c.gpr[RAX]); }

void daa(Cpu& c, const Insn&) {
  u8 old_al = al(c), a = old_al;
  bool old_cf = c.flags.cf(), cf = false, af = false;
  if ((a & 0xf) > 9 || (c.flags.get() & fl::AF)) {
    cf = old_cf || a > 0xf9;
    a = u8(a + 6);
    af = true;
  }
  if (old_al > 0x99 || old_cf) {
    a = u8(a + 0x60);
    cf = true;
  }
  c.write_gpr<1>(RAX, a);
  c.flags.set_arith(fl::kArith, szp_flags<1>(a) | (cf ? fl::CF : 0) | (af ? fl::AF : 0));
}

void das(Cpu& c, const Insn&) {
  u8 old_al = al(c), a = old_al;
  bool old_cf = c.flags.cf(), cf = false, af = false;
  if ((a & 0xf) > 9 || (c.flags.get() & fl::AF)) {
    cf = old_cf || a < 6;
    a = u8(a - 6);
    af = true;
  }
  if (old_al > 0x99 || old_cf) {
    a = u8(a - 0x60);
    cf = true;
  }
  c.write_gpr<1>(RAX, a);
  c.flags.set_arith(fl::kArith, szp_flags<1>(a) | (cf ? fl::CF : 0) | (af ? fl::AF : 0));
}

template <bool SUB>
void aaa(Cpu& c, const Insn&) {
  u16 ax = u16(c.gpr[RAX]);
  bool adjust = (ax & 0xf) > 9 || (c.flags.get() & fl::AF);
  // SDM Vol. 2 AAA/AAS: 16-bit AX +/- 6 (a carry/borrow reaches AH), then AH +/- 1.
  if (adjust) ax = SUB ? u16(ax - 6 - 0x100) : u16(ax + 0x106);
  ax &= 0xff0f;
  c.write_gpr<2>(RAX, ax);
  u64 f = adjust ? fl::AF | fl::CF : 0;
  c.flags.set_arith(fl::kArith, f | (szp_flags<1>(u8(ax)) & fl::PF));
}

void aam(Cpu& c, const Insn& i) {
  u8 base = u8(i.imm);
  if (base == 0) c.raise(kDE);
  u8 a = al(c);
  u8 q = a / base, r = a % base;
  c.write_gpr<2>(RAX, u16((q << 8) | r));
  c.flags.set_arith(fl::kArith, szp_flags<1>(r));
}

void aad(Cpu& c, const Insn& i) {
  u8 base = u8(i.imm);
  u16 ax = u16(c.gpr[RAX]);
  u8 r = u8((ax & 0xff) + (ax >> 8) * base);
  c.write_gpr<2>(RAX, r);
  c.flags.set_arith(fl::kArith, szp_flags<1>(r));
}

constexpr InsnRow kRows[] = {
    {ZYDIS_MNEMONIC_DAA, VTLAB_ONE(daa)},        {ZYDIS_MNEMONIC_DAS, VTLAB_ONE(das)},
    {ZYDIS_MNEMONIC_AAA, VTLAB_ONE(aaa<false>)}, {ZYDIS_MNEMONIC_AAS, VTLAB_ONE(aaa<true>)},
    {ZYDIS_MNEMONIC_AAM, VTLAB_ONE(aam)},        {ZYDIS_MNEMONIC_AAD, VTLAB_ONE(aad)},
};

}  // namespace

std::span<const InsnRow> bcd_rows() { return kRows; }

}  // namespace vtlab
