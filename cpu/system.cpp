// Control registers, MSRs, CPUID, TSC and I/O permission.
#include <cstring>

#include "cpu/cpu.h"
#include "cpu/cpuid_table.h"
#include "cpu/msr_table.h"

namespace vtlab {

u64 Cpu::read_cr(unsigned n) const {
  switch (n) {
    case 0: return cr0;
    case 2: return cr2;
    case 3: return cr3;
    case 4: return cr4;
    case 8: return cr8;
    default: return 0;
  }
}

// Checks and side effects of MOV to CRn (SDM Vol. 3A §2.5, Vol. 2 "MOV—Move
// to/from Control Registers"). Raises #GP(0) on an invalid value.
void Cpu::write_cr(unsigned n, u64 v) {
  switch (n) {
    case 0: {
      if (v >> 32) raise(kGP, 0);
      v |= cr0::ET;
      if ((v & cr0::PG) && !(v & cr0::PE)) raise(kGP, 0);
      if ((v & cr0::NW) && !(v & cr0::CD)) raise(kGP, 0);
      bool pg_on = (v & cr0::PG) && !(cr0 & cr0::PG);
      bool pg_off = !(v & cr0::PG) && (cr0 & cr0::PG);
      if (pg_on && (efer & efer::LME)) {
        if (!(cr4 & cr4::PAE) || (seg[CS].attr & ar::L)) raise(kGP, 0);
        efer |= efer::LMA;  // IA-32e mode becomes active (SDM Vol. 3A §10.8.5)
      }
      if (pg_off) {
        if (mode64_) raise(kGP, 0);
        efer &= ~efer::LMA;
      }
      u64 changed = cr0 ^ v;
      cr0 = v;
      if (changed & (cr0::PG | cr0::WP | cr0::PE)) paging_changed();
      mode_changed();
      return;
    }
    case 2: cr2 = v; return;
    case 3:
      if (v >> kMaxPhysAddrBits) raise(kGP, 0);
      cr3 = v;
      paging_changed();
      return;
    case 4: {
      if (v & ~kSupportedCr4) raise(kGP, 0);
      if ((efer & efer::LMA) && !(v & cr4::PAE)) raise(kGP, 0);
      if ((efer & efer::LMA) && ((v ^ cr4) & cr4::LA57)) raise(kGP, 0);
      u64 changed = cr4 ^ v;
      cr4 = v;
      if (changed & (cr4::PAE | cr4::PSE | cr4::PGE | cr4::LA57)) paging_changed();
      return;
    }
    case 8:
      if (v & ~u64(0xf)) raise(kGP, 0);
      cr8 = v;
      return;
    default: raise(kUD);
  }
}

u64 Cpu::tsc() const {
  // One TSC tick per virtual instruction tick (DESIGN: nothing reads host time).
  return icount_ + insns_this_block() + msr.tsc_adjust;
}

bool Cpu::read_msr(u32 index, u64& out) {
  switch (index) {
    case msr_index::kTsc: out = tsc(); return true;
    case msr_index::kEfer: out = efer; return true;
    case msr_index::kFsBase: out = seg[FS].base; return true;
    case msr_index::kGsBase: out = seg[GS].base; return true;
    default: break;
  }
  if (const MsrDesc* d = find_msr(index)) {
    if (d->field) {
      out = msr.*(d->field);
      return true;
    }
    out = d->fixed_value;
    return true;
  }
  return false;
}

bool Cpu::write_msr(u32 index, u64 v) {
  switch (index) {
    case msr_index::kTsc: msr.tsc_adjust = v - (icount_ + insns_this_block()); return true;
    case msr_index::kEfer: {
      constexpr u64 writable = efer::SCE | efer::LME | efer::NXE;
      if (v & ~(writable | efer::LMA)) return false;
      if ((cr0 & cr0::PG) && ((v ^ efer) & efer::LME)) return false;
      efer = (v & writable) | (efer & efer::LMA);
      paging_changed();
      mode_changed();
      return true;
    }
    case msr_index::kFsBase:
    case msr_index::kGsBase:
    case msr_index::kKernelGsBase:
    case msr_index::kLstar:
    case msr_index::kCstar:
    case msr_index::kSysenterEsp:
    case msr_index::kSysenterEip:
      if (!is_canonical(v)) return false;
      if (index == msr_index::kFsBase) return seg[FS].base = v, true;
      if (index == msr_index::kGsBase) return seg[GS].base = v, true;
      break;
    case msr_index::kPat:
      // Each of the 8 entries must be a valid memory type (0,1,4,5,6,7).
      for (int i = 0; i < 8; ++i) {
        u64 t = (v >> (8 * i)) & 0xff;
        if (t == 2 || t == 3 || t > 7) return false;
      }
      break;
    default: break;
  }
  const MsrDesc* d = find_msr(index);
  if (!d || !d->field) return false;
  if (v & d->reserved_mask) return false;
  msr.*(d->field) = v;
  return true;
}

void Cpu::cpuid(u32 leaf, u32 subleaf, u32 out[4]) const { cpuid_lookup(leaf, subleaf, out); }

// I/O permission (SDM Vol. 1 §19.5): CPL <= IOPL, or the TSS bitmap allows it.
bool Cpu::io_allowed(u16 port, unsigned size) {
  if (!protected_mode()) return true;
  unsigned iopl = (flags.bits & fl::IOPL) >> 12;
  if (!v86() && cpl <= iopl) return true;
  u32 type = tr.attr & ar::kTypeMask;
  if ((type != 0x9 && type != 0xb) || tr.limit < 0x67) return false;
  u16 base = read_sys<u16>(tr.base + 0x66);
  u32 byte = base + port / 8;
  if (byte + 1 > tr.limit) return false;
  u16 bits = read_sys<u16>(tr.base + byte);
  u16 mask = u16(((1u << size) - 1) << (port & 7));
  return (bits & mask) == 0;
}

}  // namespace vtlab
