// APIC virtualization in VMX non-root operation (SDM Vol. 3C ch. 30 "APIC
// Virtualization and Virtual Interrupts"): the virtual-APIC page and its
// registers (§30.1.1), TPR, PPR and EOI virtualization and self-IPI
// virtualization (§30.1.2-30.1.5), evaluation and delivery of virtual
// interrupts (§30.2), CR8 accesses with the TPR shadow (§30.3), accesses to
// the APIC-access page (§30.4), MSR-based accesses under "virtualize x2APIC
// mode" (§30.5) and posted-interrupt processing (§30.6).
//
// The rules that are pure arithmetic (PPR, recognition of a virtual
// interrupt, which accesses are virtualized) are free functions so the unit
// tests can check them row by row; ApicVirtualization holds the state of one
// logical processor and does the memory work. docs/vmx.md describes the whole.
#pragma once
#include "core/base/serializer.h"
#include "core/base/types.h"
#include "cpu/vmx/vmcs.h"

namespace vtlab {
class Cpu;
}

namespace vtlab::vmx {

struct ExitInfo;

// Offsets of the virtual-APIC page (§30.1.1).
namespace vapic {
inline constexpr u32 kId = 0x20, kVersion = 0x30, kTpr = 0x80, kPpr = 0xa0, kEoi = 0xb0, kLdr = 0xd0, kDfr = 0xe0,
                     kSvr = 0xf0, kIsr = 0x100, kTmr = 0x180, kIrr = 0x200, kEsr = 0x280, kIcrLow = 0x300,
                     kIcrHigh = 0x310, kLvtTimer = 0x320, kLvtError = 0x370, kInitialCount = 0x380, kDcr = 0x3e0,
                     kSelfIpi = 0x3f0;
// Bit x of a 256-bit register (VISR, VIRR, VTMR) is bit x & 1FH at offset
// base | ((x & E0H) >> 1).
inline constexpr u32 bit_offset(u32 base, u8 vector) { return base | ((vector & 0xe0u) >> 1); }
}  // namespace vapic

// The guest interrupt status (§25.4.2): RVI in bits 7:0, SVI in 15:8.
inline constexpr u8 rvi_of(u16 status) { return u8(status); }
inline constexpr u8 svi_of(u16 status) { return u8(status >> 8); }
inline constexpr u16 interrupt_status(u8 rvi, u8 svi) { return u16(rvi | svi << 8); }

// §30.1.3 PPR virtualization: VPPR from VTPR and SVI.
inline constexpr u8 virtual_ppr(u8 vtpr, u8 svi) { return (vtpr >> 4) >= (svi >> 4) ? vtpr : u8(svi & 0xf0); }
// §30.2.1: a virtual interrupt is recognized when RVI[7:4] > VPPR[7:4] and
// "interrupt-window exiting" is 0.
inline constexpr bool recognizes_virtual_interrupt(u8 rvi, u8 vppr, bool interrupt_window_exiting) {
  return !interrupt_window_exiting && (rvi >> 4) > (vppr >> 4);
}
// §30.1.2: without virtual-interrupt delivery, TPR virtualization exits
// (reason 43) when VTPR[7:4] is below bits 3:0 of the TPR threshold.
inline constexpr bool tpr_below_threshold(u8 vtpr, u32 threshold) { return (vtpr >> 4) < (threshold & 0xf); }

// Which accesses to the APIC-access page are virtualized (the rest cause
// APIC-access VM exits), from the secondary controls: §30.4.2 reads,
// §30.4.3.1 writes. Both need the TPR shadow, an access of at most 32 bits
// within the low 4 bytes of a 16-byte aligned register.
bool read_virtualized(u32 offset, unsigned size, bool tpr_shadow, u32 proc2);
bool write_virtualized(u32 offset, unsigned size, bool tpr_shadow, u32 proc2);
// §30.4.3.2: an ICR-low value that self-IPI virtualization takes (fixed,
// edge, shorthand "self", reserved bits clear, vector 16-255).
bool virtual_self_ipi(u32 icr_low);
// §30.5: x2APIC MSRs RDMSR reads from the virtual-APIC page with
// "APIC-register virtualization".
bool x2apic_read_virtualized(u32 msr);

// APIC-access exit qualification (Table 28-6 of §28.2.1): offset in bits
// 11:0, access type in 15:12: a linear access for a data read (0) or write
// (1) during instruction execution, for an instruction fetch (2), during
// event delivery (3); a guest-physical access during event delivery (10),
// or for an instruction fetch or during instruction execution (15).
namespace apic_access {
inline constexpr u32 kLinearRead = 0, kLinearWrite = 1, kLinearFetch = 2, kLinearEventDelivery = 3,
                     kPhysicalEventDelivery = 10, kPhysicalInstruction = 15;
inline constexpr u64 qualification(u32 offset, u32 type) { return (offset & 0xfff) | u64(type) << 12; }
inline constexpr u32 type_of(u64 qualification) { return u32(qualification >> 12) & 0xf; }
}  // namespace apic_access

class ApicVirtualization {
 public:
  ApicVirtualization(Cpu& cpu, Vmcs& vmcs) : c_(cpu), v_(vmcs) {}
  void reset();

  // VM entry (§27.3.2.5, §27.7.7): arms the APIC-access page, evaluates
  // pending virtual interrupts, or schedules the TPR-threshold exit.
  void entered();
  // VM exit: nothing of the guest's APIC virtualization stays active.
  void exited();

  // ---- instructions (§30.3, §30.5) ----
  // MOV from / to CR8 with "use TPR shadow".
  u64 read_cr8() const;
  void write_cr8(u64 value);
  // RDMSR/WRMSR of 800H-8FFH with "virtualize x2APIC mode": true if the
  // access was virtualized (done; a bad value raised #GP(0)), false if the
  // instruction goes on as usual.
  bool rdmsr(u32 msr, u64& out);
  bool wrmsr(u32 msr, u64 value);

  // ---- the APIC-access page (§30.4) ----
  // A linear data access that reached physical address `pa` on the
  // APIC-access page: virtualized, or an APIC-access VM exit (unwinds; a
  // read of a read-modify-write instruction is type 1, as its #PF would be
  // a write; Vmx::exit_during_delivery makes it type 3 during delivery).
  void access_read(u64 pa, void* dst, unsigned len);
  void access_write(u64 pa, const void* src, unsigned len);
  // An instruction fetch from the APIC-access page: always an APIC-access
  // VM exit, type 2 (§30.4.2); unwinds.
  [[noreturn]] void fetch_exit(u64 pa);

  // ---- between instructions (events.cpp) ----
  // A trap-like exit due now (TPR below threshold, virtualized EOI, APIC
  // write): true and `e` filled.
  bool take_trap_exit(ExitInfo& e);
  // Whether a recognized virtual interrupt may be delivered now (§30.2.2):
  // RFLAGS.IF = 1, no STI or MOV SS blocking.
  bool virtual_interrupt_ready() const;
  // §30.2.2: moves RVI to VISR/SVI and updates VPPR, VIRR and RVI; the
  // caller delivers the vector through the IDT.
  u8 take_virtual_interrupt();
  // §30.6: posted-interrupt processing after the notification vector was
  // acknowledged (the caller has sent the local APIC its EOI).
  void process_posted_interrupts();

  void serialize(Serializer& s);

 private:
  u64 page() const { return v_.virtual_apic_page_addr; }
  u32 reg(u32 offset) const;
  void set_reg(u32 offset, u32 value);
  bool vbit(u32 base, u8 vector) const;
  void set_vbit(u32 base, u8 vector, bool on);
  int highest(u32 base) const;  // highest vector set, -1 if none
  u32 proc2() const;
  bool vid() const;
  u8 rvi() const { return rvi_of(u16(v_.guest_interrupt_status)); }
  u8 svi() const { return svi_of(u16(v_.guest_interrupt_status)); }
  void set_status(u8 rvi, u8 svi) { v_.guest_interrupt_status = interrupt_status(rvi, svi); }

  void tpr_virtualization();
  void ppr_virtualization();
  void eoi_virtualization();
  void self_ipi_virtualization(u8 vector);
  void evaluate();
  void apic_write_emulation(u32 offset);
  void trap_exit(const ExitInfo& e);
  // A fault-like APIC-access exit of the current instruction (RF saved as
  // 1, §27.3.3); `len`: the instruction's length, 0 for a fetch.
  [[noreturn]] void access_exit(u32 offset, u32 type, u32 len);
  void arm_access_page(bool on);

  Cpu& c_;
  Vmcs& v_;
  bool recognized_ = false;  // a pending virtual interrupt is recognized (§30.2.1)
  bool trap_pending_ = false;
  u32 trap_reason_ = 0;
  u64 trap_qualification_ = 0;
};

}  // namespace vtlab::vmx
