// Control registers, TSC and I/O permission (MSRs: cpu/msr.cpp).
#include <cstring>

#include "cpu/cpu.h"
#include "cpu/cpuid_table.h"
#include "cpu/vmx/vmx.h"

namespace vtlab {

u64 Cpu::read_cr(unsigned n) const {
  switch (n) {
    case 0:
      return cr0;
    case 2:
      return cr2;
    case 3:
      return cr3;
    case 4:
      return cr4;
    case 8:
      return cr8_value();
    default:
      return 0;
  }
}

// CR8 mirrors the local APIC's task-priority class, TPR[7:4] (SDM Vol. 3A
// §10.8.6.1); without an APIC that keeps it, CR8 is the CPU's own register.
u64 Cpu::cr8_value() const {
  u8 tpr;
  if (apic_ && apic_->tpr_read(tpr)) return tpr >> 4;
  return cr8;
}

// Checks and side effects of MOV to CRn (SDM Vol. 2 "MOV—Move to/from
// Control Registers", Vol. 3A §2.5). Raises #GP(0) on an invalid value,
// before anything changes.
void Cpu::write_cr(unsigned n, u64 v) {
  switch (n) {
    case 0:
      return write_cr0(v);
    case 2:
      cr2 = v;
      return;
    case 3:
      return write_cr3(v);
    case 4:
      return write_cr4(v);
    case 8:
      if (v & ~u64(0xf)) raise(kGP, 0);  // bits 63:4 reserved
      cr8 = v;
      if (apic_) apic_->tpr_written(u8(v << 4));
      end_block();  // a lower priority may unmask a pending interrupt
      return;
    default:
      raise(kUD);
  }
}

// PAE paging: the PDPTE registers are loaded from the table at CR3 (SDM
// Vol. 3A §4.4.1); a present PDPTE with a reserved bit set makes the MOV
// raise #GP(0).
void Cpu::load_pdptes_or_fault(u64 cr3_value) {
  if (!load_pdptes(cr3_value, pdpte)) raise(kGP, 0);
}

void Cpu::write_cr0(u64 v) {
  if (v >> 32) raise(kGP, 0);
  v |= cr0::ET;
  if ((v & cr0::PG) && !(v & cr0::PE)) raise(kGP, 0);
  if ((v & cr0::NW) && !(v & cr0::CD)) raise(kGP, 0);
  const bool pg_on = (v & cr0::PG) && !(cr0 & cr0::PG);
  const bool pg_off = !(v & cr0::PG) && (cr0 & cr0::PG);
  u64 new_efer = efer;
  if (pg_on && (efer & efer::LME)) {
    if (!(cr4 & cr4::PAE) || (seg[CS].attr & ar::L)) raise(kGP, 0);
    new_efer |= efer::LMA;  // IA-32e mode becomes active (SDM Vol. 3A §10.8.5)
  }
  if (pg_off) {
    // Paging stays on in 64-bit mode, and with CR4.PCIDE=1 (§4.10.1).
    if (mode64_ || (cr4 & cr4::PCIDE)) raise(kGP, 0);
    new_efer &= ~efer::LMA;
  }
  // In VMX operation CR0 keeps the bits IA32_VMX_CR0_FIXED0/1 fix (SDM
  // Vol. 3C §24.8).
  if (vmx_->in_operation() && !vmx_->cr0_allowed(v)) raise(kGP, 0);
  const u64 changed = cr0 ^ v;
  if (paging_mode_for(v, cr4, new_efer) == PagingMode::Pae && (changed & (cr0::CD | cr0::NW | cr0::PG)))
    load_pdptes_or_fault(cr3);
  cr0 = v;
  efer = new_efer;
  update_paging_mode();
  // §4.10.4.1: clearing PG invalidates every entry, global ones too (and
  // setting it starts from an empty TLB). WP changes only decisions.
  if (changed & (cr0::PG | cr0::PE))
    flush_tlb(TlbFlush::All);
  else if (changed & cr0::WP)
    flush_tlb(TlbFlush::Rights);
  mode_changed();
}

void Cpu::write_cr3(u64 v) {
  // With CR4.PCIDE=1, bit 63 = 1 keeps the TLB entries of the new PCID; it
  // is not stored (SDM §4.10.4.1, Vol. 2 MOV CR).
  const bool pcide = cr4 & cr4::PCIDE;
  const bool keep_entries = pcide && (v >> 63);
  if (pcide) v &= ~(u64(1) << 63);
  if (v >> kMaxPhysAddrBits) raise(kGP, 0);
  if (paging_ == PagingMode::Pae) load_pdptes_or_fault(v);
  cr3 = v;
  // The new PCID's non-global entries (PCID 000H's when PCIDE=0) go; the
  // host-pointer TLBs follow the context switch either way.
  flush_tlb(keep_entries ? TlbFlush::Rights : TlbFlush::CurrentContext);
}

void Cpu::write_cr4(u64 v) {
  if (v & ~kSupportedCr4) raise(kGP, 0);
  const bool lma = efer & efer::LMA;
  if (lma && !(v & cr4::PAE)) raise(kGP, 0);
  if (lma && ((v ^ cr4) & cr4::LA57)) raise(kGP, 0);
  // PCIDE can be set only in IA-32e mode and while CR3[11:0] = 0 (§4.10.1).
  if ((v & cr4::PCIDE) && !(cr4 & cr4::PCIDE) && (!lma || (cr3 & 0xfff))) raise(kGP, 0);
  // In VMX operation CR4.VMXE stays 1 (IA32_VMX_CR4_FIXED0, SDM Vol. 3C §24.8).
  if (vmx_->in_operation() && !vmx_->cr4_allowed(v)) raise(kGP, 0);
  const u64 changed = cr4 ^ v;
  if (paging_mode_for(cr0, v, efer) == PagingMode::Pae && (changed & (cr4::PAE | cr4::PGE | cr4::PSE | cr4::SMEP)))
    load_pdptes_or_fault(cr3);
  cr4 = v;
  update_paging_mode();
  if (changed & cr4::DE) debug_changed();  // DR7 R/W = 10B means I/O only with DE
  // §4.10.4.1: changing PGE, or PCIDE 1 -> 0, invalidates everything; PAE,
  // or SMEP 0 -> 1, the current PCID's entries (here: everything too, which
  // the SDM allows). PSE changes what a 32-bit PDE maps: everything too.
  // SMEP 1 -> 0, SMAP and PKE change only decisions.
  const bool pcide_off = (changed & cr4::PCIDE) && !(v & cr4::PCIDE);
  const bool smep_on = (changed & cr4::SMEP) && (v & cr4::SMEP);
  if ((changed & (cr4::PGE | cr4::PAE | cr4::PSE | cr4::LA57)) || pcide_off || smep_on)
    flush_tlb(TlbFlush::All);
  else if (changed & (cr4::SMEP | cr4::SMAP | cr4::PKE))
    flush_tlb(TlbFlush::Rights);
}

u64 Cpu::tsc() const {
  // One TSC tick per virtual instruction tick (DESIGN: nothing reads host time).
  const u64 t = icount_ + insns_this_block() + msr.tsc_adjust;
  return vmx_non_root_ ? vmx_->guest_tsc(t) : t;  // offsetting and scaling (cpu/vmx/events.cpp)
}

// I/O permission (SDM Vol. 1 §19.5): CPL <= IOPL, or the TSS bitmap allows it.
bool Cpu::io_allowed(u16 port, unsigned size) {
  if (io_breakpoints_) check_io_breakpoints(port, size);  // a trap after the instruction
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
