// APIC virtualization (SDM Vol. 3C ch. 30; section numbers of the edition
// that puts "APIC Virtualization and Virtual Interrupts" in chapter 30).
// The virtual-APIC page is guest memory at a physical address (the VMCS's
// virtual-APIC address, not translated by EPT): every register access below
// reads or writes it there, so the hypervisor sees what the guest did.
#include "cpu/vmx/apic_virtualization.h"

#include <algorithm>
#include <initializer_list>

#include "cpu/vmx/capabilities.h"
#include "cpu/vmx/vmx.h"

namespace vtlab::vmx {

namespace {

// The access lies within the low 4 bytes of its 16-byte register and is at
// most 32 bits wide (§30.4.2, §30.4.3.1).
bool fits_register(u32 offset, unsigned size) { return size <= 4 && (offset & 0xf) + size <= 4; }
bool lvt(u32 reg) { return reg >= vapic::kLvtTimer && reg <= vapic::kLvtError; }
bool one_of(u32 reg, std::initializer_list<u32> list) { return std::find(list.begin(), list.end(), reg) != list.end(); }

}  // namespace

bool read_virtualized(u32 offset, unsigned size, bool tpr_shadow, u32 proc2) {
  using namespace vapic;
  if (!tpr_shadow || !fits_register(offset, size)) return false;
  const u32 reg = offset & 0xff0;
  if (!(proc2 & proc2::kApicRegisterVirtualization)) return reg == kTpr;
  // §30.4.2: the registers "APIC-register virtualization" reads from the
  // virtual-APIC page (not PPR, APR, the current count or the reserved ones).
  if (reg >= kIsr && reg < kIrr + 0x80) return true;  // ISR, TMR, IRR
  return lvt(reg) ||
         one_of(reg, {kId, kVersion, kTpr, kEoi, kLdr, kDfr, kSvr, kEsr, kIcrLow, kIcrHigh, kInitialCount, kDcr});
}

bool write_virtualized(u32 offset, unsigned size, bool tpr_shadow, u32 proc2) {
  using namespace vapic;
  if (!tpr_shadow || !fits_register(offset, size)) return false;
  const u32 reg = offset & 0xff0;
  if (proc2 & proc2::kApicRegisterVirtualization)  // §30.4.3.1, third case
    return lvt(reg) || one_of(reg, {kId, kTpr, kEoi, kLdr, kDfr, kSvr, kEsr, kIcrLow, kIcrHigh, kInitialCount, kDcr});
  if (proc2 & proc2::kVirtualInterruptDelivery) return one_of(reg, {kTpr, kEoi, kIcrLow});
  return reg == kTpr;
}

bool virtual_self_ipi(u32 icr) {
  // §30.4.3.2 (offset 300H): reserved bits 31:20, 17:16 and 13 clear,
  // shorthand (19:18) self, edge triggered (bit 15), fixed delivery (10:8),
  // vector 10H-FFH.
  return (icr & 0xfff32000u) == 0 && ((icr >> 18) & 3) == 1 && !(icr & (1u << 15)) && ((icr >> 8) & 7) == 0 &&
         (icr & 0xf0) != 0;
}

bool x2apic_read_virtualized(u32 msr) {
  // §30.5: ID, version, TPR, PPR, LDR, SVR, ISR, TMR, IRR, ESR, ICR, the
  // LVT entries, initial count and divide configuration.
  const u32 r = msr & 0xff;
  if (msr < 0x800 || msr > 0x8ff) return false;
  return (r >= 0x10 && r <= 0x28) || (r >= 0x32 && r <= 0x38) ||
         one_of(r, {0x02, 0x03, 0x08, 0x0a, 0x0d, 0x0f, 0x30, 0x3e});
}

// ---------------------------------------------------------------- state

void ApicVirtualization::reset() {
  recognized_ = trap_pending_ = false;
  trap_reason_ = 0;
  trap_qualification_ = 0;
}

u32 ApicVirtualization::proc2() const { return (v_.proc_controls & proc::kSecondaryControls) ? v_.proc2_controls : 0; }
bool ApicVirtualization::vid() const { return proc2() & proc2::kVirtualInterruptDelivery; }

u32 ApicVirtualization::reg(u32 offset) const { return u32(c_.mem().read(page() + offset, 4)); }
void ApicVirtualization::set_reg(u32 offset, u32 value) { c_.mem().write(page() + offset, 4, value); }

bool ApicVirtualization::vbit(u32 base, u8 vector) const {
  return (reg(vapic::bit_offset(base, vector)) >> (vector & 31)) & 1;
}

void ApicVirtualization::set_vbit(u32 base, u8 vector, bool on) {
  const u32 off = vapic::bit_offset(base, vector), bit = 1u << (vector & 31);
  const u32 old = reg(off);
  set_reg(off, on ? old | bit : old & ~bit);
}

int ApicVirtualization::highest(u32 base) const {
  for (int k = 7; k >= 0; --k)
    if (const u32 w = reg(base + 0x10 * u32(k))) return k * 32 + 31 - __builtin_clz(w);
  return -1;
}

void ApicVirtualization::arm_access_page(bool on) {
  c_.set_apic_access_page(on ? v_.apic_access_addr & ~u64(0xfff) : Cpu::kNoApicAccessPage);
}

void ApicVirtualization::entered() {
  trap_pending_ = recognized_ = false;
  arm_access_page(proc2() & proc2::kVirtualizeApicAccesses);
  if (!(v_.proc_controls & proc::kUseTprShadow)) return;
  if (vid()) {
    evaluate();  // §27.3.2.5
  } else if (tpr_below_threshold(u8(reg(vapic::kTpr)), v_.tpr_threshold)) {
    // §27.7.7: a TPR-below-threshold exit right after VM entry (after any
    // injected event: check_events delivers that first).
    trap_exit(ExitInfo{ExitReason::TPR_BELOW_THRESHOLD});
  }
}

void ApicVirtualization::exited() {
  trap_pending_ = recognized_ = false;
  arm_access_page(false);
}

// ---------------------------------------------------------------- §30.1-30.2

void ApicVirtualization::tpr_virtualization() {
  // §30.1.2
  if (!vid()) {
    if (tpr_below_threshold(u8(reg(vapic::kTpr)), v_.tpr_threshold))
      trap_exit(ExitInfo{ExitReason::TPR_BELOW_THRESHOLD});
    return;
  }
  ppr_virtualization();
  evaluate();
}

void ApicVirtualization::ppr_virtualization() { set_reg(vapic::kPpr, virtual_ppr(u8(reg(vapic::kTpr)), svi())); }

void ApicVirtualization::eoi_virtualization() {
  // §30.1.4
  const u8 vector = svi();
  set_vbit(vapic::kIsr, vector, false);
  const int next = highest(vapic::kIsr);
  set_status(rvi(), next < 0 ? 0 : u8(next));
  ppr_virtualization();
  const u64 bitmaps[4] = {v_.eoi_exit_bitmap0, v_.eoi_exit_bitmap1, v_.eoi_exit_bitmap2, v_.eoi_exit_bitmap3};
  if ((bitmaps[vector / 64] >> (vector % 64)) & 1)
    trap_exit(ExitInfo{ExitReason::VIRTUALIZED_EOI, vector});
  else
    evaluate();
}

void ApicVirtualization::self_ipi_virtualization(u8 vector) {
  // §30.1.5
  set_vbit(vapic::kIrr, vector, true);
  set_status(std::max(rvi(), vector), svi());
  evaluate();
}

void ApicVirtualization::evaluate() {
  // §30.2.1
  recognized_ =
      recognizes_virtual_interrupt(rvi(), u8(reg(vapic::kPpr)), v_.proc_controls & proc::kInterruptWindowExiting);
  if (recognized_) c_.end_block();  // delivered at the next instruction boundary
}

bool ApicVirtualization::virtual_interrupt_ready() const {
  // §30.2.2: recognized, RFLAGS.IF = 1, no blocking by STI or MOV SS.
  return recognized_ && vid() && (c_.flags.bits & fl::IF) && !c_.interrupt_shadow;
}

u8 ApicVirtualization::take_virtual_interrupt() {
  // §30.2.2 "Virtual-Interrupt Delivery"
  const u8 vector = rvi();
  set_vbit(vapic::kIsr, vector, true);
  set_reg(vapic::kPpr, vector & 0xf0);
  set_vbit(vapic::kIrr, vector, false);
  const int next = highest(vapic::kIrr);
  set_status(next < 0 ? 0 : u8(next), vector);
  recognized_ = false;
  return vector;
}

void ApicVirtualization::process_posted_interrupts() {
  // §30.6 steps 3, 5-7: clear the outstanding-notification bit (bit 256 of
  // the descriptor), move PIR into VIRR, RVI = max(RVI, highest PIR bit),
  // evaluate. (Step 4, the EOI to the local APIC, is the caller's.)
  const u64 desc = v_.posted_intr_desc_addr;
  PhysMem& m = c_.mem();
  m.write(desc + 32, 8, m.read(desc + 32, 8) & ~u64(1));
  int top = -1;
  for (u32 k = 0; k < 4; ++k) {
    const u64 pir = m.read(desc + 8 * k, 8);
    if (!pir) continue;
    m.write(desc + 8 * k, 8, 0);
    for (u32 half = 0; half < 2; ++half) {
      const u32 bits = u32(pir >> (32 * half));
      const u32 off = vapic::kIrr + 0x10 * (2 * k + half);
      if (bits) set_reg(off, reg(off) | bits);
    }
    top = int(64 * k + 63 - __builtin_clzll(pir));
  }
  if (top >= 0) set_status(std::max(rvi(), u8(top)), svi());
  evaluate();
}

// ---------------------------------------------------------------- instructions

u64 ApicVirtualization::read_cr8() const { return (reg(vapic::kTpr) >> 4) & 0xf; }

void ApicVirtualization::write_cr8(u64 value) {
  // §30.3: VTPR[7:4] = source[3:0], the rest of VTPR cleared.
  set_reg(vapic::kTpr, u32(value & 0xf) << 4);
  tpr_virtualization();
}

bool ApicVirtualization::rdmsr(u32 msr, u64& out) {
  // §30.5: with "APIC-register virtualization" the listed registers come
  // from the page (ICR: both halves); otherwise only TPR (808H) does.
  if ((proc2() & proc2::kApicRegisterVirtualization) && x2apic_read_virtualized(msr)) {
    const u32 offset = (msr & 0xff) << 4;
    out = reg(offset);
    if (offset == vapic::kIcrLow) out |= u64(reg(vapic::kIcrHigh)) << 32;
    return true;
  }
  if (msr != 0x808) return false;
  out = reg(vapic::kTpr);
  return true;
}

bool ApicVirtualization::wrmsr(u32 msr, u64 value) {
  // §30.5: TPR always; EOI and SELF IPI with virtual-interrupt delivery.
  // Bits that would be reserved in the x2APIC register raise #GP(0).
  switch (msr) {
    case 0x808:
      if (value >> 8) c_.raise(kGP, 0);
      c_.mem().write(page() + vapic::kTpr, 8, value);  // bytes 84H-87H cleared too
      tpr_virtualization();
      return true;
    case 0x80b:
      if (!vid()) return false;
      if (value) c_.raise(kGP, 0);
      eoi_virtualization();
      return true;
    case 0x83f:
      if (!vid()) return false;
      if (value >> 8) c_.raise(kGP, 0);
      c_.mem().write(page() + vapic::kSelfIpi, 8, value);
      if (value >= 16)
        self_ipi_virtualization(u8(value));
      else
        trap_exit(ExitInfo{ExitReason::APIC_WRITE, vapic::kSelfIpi});  // §30.5: vector below 16
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------- §30.4

void ApicVirtualization::access_exit(u32 offset, u32 type, u32 len) {
  ExitInfo e{ExitReason::APIC_ACCESS, apic_access::qualification(offset, type)};
  e.fault_rf = true;
  c_.vmx().instruction_exit(e, len);
}

void ApicVirtualization::access_read(u64 pa, void* dst, unsigned len) {
  const u32 offset = u32(pa & 0xfff);
  if (read_virtualized(offset, len, v_.proc_controls & proc::kUseTprShadow, proc2())) {
    c_.mem().read_block(page() + offset, dst, len);  // §30.4.2: from the virtual-APIC page
    return;
  }
  // §28.2.1: bit 12 (read/write) as bit 1 of the #PF error code would be.
  access_exit(offset, c_.read_modify_write() ? apic_access::kLinearWrite : apic_access::kLinearRead,
              u32(c_.next_rip - c_.rip));
}

void ApicVirtualization::access_write(u64 pa, const void* src, unsigned len) {
  const u32 offset = u32(pa & 0xfff);
  if (!write_virtualized(offset, len, v_.proc_controls & proc::kUseTprShadow, proc2()))
    access_exit(offset, apic_access::kLinearWrite, u32(c_.next_rip - c_.rip));
  c_.mem().write_block(page() + offset, src, len);  // §30.4.3: to the virtual-APIC page
  apic_write_emulation(offset);
}

void ApicVirtualization::fetch_exit(u64 pa) {
  // The instruction was not decoded: its length is not known (the field is
  // undefined for this exit, §27.2.5).
  access_exit(u32(pa & 0xfff), apic_access::kLinearFetch, 0);
}

void ApicVirtualization::apic_write_emulation(u32 offset) {
  // §30.4.3.2, by the register written. vtlab performs it at once, inside
  // the writing instruction; its VM exits are trap-like (after it).
  const ExitInfo write_exit{ExitReason::APIC_WRITE, offset};
  switch (offset & 0xff0) {
    case vapic::kTpr:
      set_reg(vapic::kTpr, reg(vapic::kTpr) & 0xff);  // bytes 3:1 cleared
      return tpr_virtualization();
    case vapic::kEoi:
      if (vid()) return eoi_virtualization();
      return trap_exit(write_exit);
    case vapic::kIcrLow: {
      const u32 icr = reg(vapic::kIcrLow);
      if (vid() && virtual_self_ipi(icr)) return self_ipi_virtualization(u8(icr));
      return trap_exit(write_exit);
    }
    case vapic::kIcrHigh:
      set_reg(vapic::kIcrHigh, reg(vapic::kIcrHigh) & 0xff000000u);  // bytes 2:0 cleared, no exit
      return;
    default:
      return trap_exit(write_exit);
  }
}

// ---------------------------------------------------------------- trap-like exits

void ApicVirtualization::trap_exit(const ExitInfo& e) {
  if (trap_pending_) return;  // the first one of an instruction is the one that exits
  trap_pending_ = true;
  trap_reason_ = u32(e.reason);
  trap_qualification_ = e.qualification;
  c_.end_block();
}

bool ApicVirtualization::take_trap_exit(ExitInfo& e) {
  if (!trap_pending_) return false;
  trap_pending_ = false;
  e = ExitInfo{ExitReason(trap_reason_), trap_qualification_};
  return true;
}

void ApicVirtualization::serialize(Serializer& s) {
  s.flag(recognized_);
  s.flag(trap_pending_);
  s(trap_reason_);
  s(trap_qualification_);
  if (s.saving()) return;
  // A damaged snapshot: only the three trap-like exits can be pending.
  const bool trap_like = trap_reason_ == u32(ExitReason::TPR_BELOW_THRESHOLD) ||
                         trap_reason_ == u32(ExitReason::VIRTUALIZED_EOI) ||
                         trap_reason_ == u32(ExitReason::APIC_WRITE);
  if (!trap_like) trap_pending_ = false, trap_reason_ = 0, trap_qualification_ = 0;
  if (!c_.vmx_non_root()) trap_pending_ = recognized_ = false;
  // The APIC-access page follows the loaded VMCS (Cpu keeps it outside).
  arm_access_page(c_.vmx_non_root() && (proc2() & proc2::kVirtualizeApicAccesses));
}

}  // namespace vtlab::vmx
