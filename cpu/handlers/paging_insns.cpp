// Paging instructions: STAC/CLAC (SMAP), RDPKRU/WRPKRU (protection keys),
// INVPCID. INVLPG and MOV to CR are in system_insns.cpp and move.cpp; the
// TLB rules they all follow are in cpu/address_translation.cpp.
#include "cpu/handlers/common.h"
#include "cpu/vmx/intercepts.h"

namespace vtlab {
namespace {

// STAC/CLAC: CPL 0 only, #UD otherwise (including virtual-8086 mode), with
// or without CR4.SMAP (SDM Vol. 2 STAC, CLAC).
void stac(Cpu& c, const Insn&) {
  if (c.cpl != 0) c.raise(kUD);
  c.flags.bits |= fl::AC;
}

void clac(Cpu& c, const Insn&) {
  if (c.cpl != 0) c.raise(kUD);
  c.flags.bits &= ~fl::AC;
}

// RDPKRU/WRPKRU: any CPL, #UD unless CR4.PKE=1; ECX (and for WRPKRU EDX)
// must be 0 (SDM Vol. 2 RDPKRU, WRPKRU). The upper halves of RAX/RDX are
// cleared by RDPKRU and ignored by WRPKRU.
void rdpkru(Cpu& c, const Insn&) {
  if (!(c.cr4 & cr4::PKE)) c.raise(kUD);
  if (u32(c.gpr[RCX]) != 0) c.raise(kGP, 0);
  c.gpr[RAX] = c.pkru;
  c.gpr[RDX] = 0;
}

void wrpkru(Cpu& c, const Insn&) {
  if (!(c.cr4 & cr4::PKE)) c.raise(kUD);
  if (u32(c.gpr[RCX]) != 0 || u32(c.gpr[RDX]) != 0) c.raise(kGP, 0);
  c.pkru = u32(c.gpr[RAX]);
  // Rights are decided with PKRU on every access; WRPKRU flushes no TLB
  // entry, only the host-pointer caches that hold decisions.
  c.access_rights_changed();
}

// INVPCID r, m128 (SDM Vol. 2 INVPCID): the descriptor holds the PCID in
// bits 11:0 (63:12 must be 0) and a linear address in bits 127:64 (type 0
// only, which needs it canonical). Types 0 and 1 name a PCID other than 0
// only with CR4.PCIDE=1. Not recognised in virtual-8086 mode.
void invpcid(Cpu& c, const Insn& i) {
  if (c.vmx_non_root()) vmx::invpcid(c, i);
  if (c.v86()) c.raise(kUD);
  if (c.protected_mode()) c.require_cpl0();
  const u64 type = i.op[0].size == 8 ? c.gpr[i.op[0].reg] : u32(c.gpr[i.op[0].reg]);
  u64 desc[2];
  c.read_block(c.mem_linear(i, 16, Access::Read), desc, 16);
  const u64 pcid = desc[0] & 0xfff;
  const u64 lin = desc[1];
  if (type > 3) c.raise(kGP, 0);
  if (desc[0] >> 12) c.raise(kGP, 0);
  if (type <= 1 && pcid != 0 && !(c.cr4 & cr4::PCIDE)) c.raise(kGP, 0);
  if (type == 0 && !Cpu::is_canonical(lin)) c.raise(kGP, 0);
  c.invalidate_pcid(unsigned(type), u16(pcid), lin);
}

constexpr u8 kEnds = attr::kEndsBlock;

constexpr InsnRow kRows[] = {
    {ZYDIS_MNEMONIC_STAC, VTLAB_ONE(stac)},
    {ZYDIS_MNEMONIC_CLAC, VTLAB_ONE(clac)},
    {ZYDIS_MNEMONIC_RDPKRU, VTLAB_ONE(rdpkru)},
    {ZYDIS_MNEMONIC_WRPKRU, VTLAB_ONE(wrpkru)},
    {ZYDIS_MNEMONIC_INVPCID, VTLAB_ONE(invpcid), kEnds},
};

}  // namespace

std::span<const InsnRow> paging_rows() { return kRows; }

}  // namespace vtlab
