// The interface between VMX (cpu/vmx/) and two-level translation: the
// second-level state the VMX code gives the CPU at VM entry and VM exit, and
// the record of an EPT-induced VM exit the translation hands back (SDM Vol.
// 3C §28.2 "The Extended Page Table Mechanism", §28.3 "Caching Translation
// Information"). Section numbers here and in mmu/ept* are those of the SDM
// editions that put VM exits in chapter 27 and address translation in
// chapter 28; later editions add one to the chapter. docs/ept.md explains
// the whole.
//
//   VM entry:  cpu.set_second_level(state of the VMCS being entered)
//   VM exit:   cpu.set_second_level(SecondLevel{}) (root: no EPT, VPID 0),
//              after copying second_level().pml_index back to the VMCS
//   EPT fault: Cpu raises it like an exception (GuestFault::ept); the run
//              loop calls EptFaultSink::ept_fault with cpu.ept_fault(),
//              which the VMX code turns into exit 48, 49 or 62
//   INVEPT / INVVPID: Cpu::invalidate_ept*, invalidate_vpid* (cpu/cpu.h)
#pragma once
#include "core/base/serializer.h"
#include "core/base/types.h"

namespace vtlab {

// EPTP fields (SDM Vol. 3C §24.6.11 "Extended-Page-Table Pointer").
namespace eptp {
inline constexpr u64 kMemTypeMask = 7;           // bits 2:0: memory type of the EPT paging structures (0 UC, 6 WB)
inline constexpr unsigned kWalkLengthShift = 3;  // bits 5:3: page-walk length - 1 (3: 4 levels, 4: 5 levels)
inline constexpr u64 kAccessDirty = 0x40;        // bit 6: enable accessed and dirty flags for EPT
}  // namespace eptp

// What vtlab's EPT and VPID support, as IA32_VMX_EPT_VPID_CAP reports it
// (SDM Vol. 3D Appendix A.10). The VMX code builds the MSR from this; every
// bit here works (tests/ept).
namespace ept_cap {
inline constexpr u64 kExecuteOnly = u64(1) << 0;
inline constexpr u64 kWalkLength4 = u64(1) << 6;
inline constexpr u64 kWalkLength5 = u64(1) << 7;
inline constexpr u64 kMemTypeUc = u64(1) << 8;   // EPTP memory type UC allowed
inline constexpr u64 kMemTypeWb = u64(1) << 14;  // EPTP memory type WB allowed
inline constexpr u64 kPages2M = u64(1) << 16;
inline constexpr u64 kPages1G = u64(1) << 17;
inline constexpr u64 kInvept = u64(1) << 20;
inline constexpr u64 kAccessDirty = u64(1) << 21;
inline constexpr u64 kAdvancedExitInfo = u64(1) << 22;  // exit qualification bits 9-11
inline constexpr u64 kInveptSingle = u64(1) << 25;
inline constexpr u64 kInveptAll = u64(1) << 26;
inline constexpr u64 kInvvpid = u64(1) << 32;
inline constexpr u64 kInvvpidAddress = u64(1) << 40;
inline constexpr u64 kInvvpidSingle = u64(1) << 41;
inline constexpr u64 kInvvpidAll = u64(1) << 42;
inline constexpr u64 kInvvpidSingleKeepGlobals = u64(1) << 43;
inline constexpr u64 kSupported = kExecuteOnly | kWalkLength4 | kWalkLength5 | kMemTypeUc | kMemTypeWb | kPages2M |
                                  kPages1G | kInvept | kAccessDirty | kAdvancedExitInfo | kInveptSingle | kInveptAll |
                                  kInvvpid | kInvvpidAddress | kInvvpidSingle | kInvvpidAll | kInvvpidSingleKeepGlobals;
}  // namespace ept_cap

// The second-level translation state of a logical processor. The default
// is VMX root operation (and no VMX at all): no EPT, VPID 0.
struct SecondLevel {
  bool non_root = false;         // in VMX non-root operation
  bool ept = false;              // "enable EPT" (secondary processor-based control bit 1)
  u64 eptp = 0;                  // EPT pointer (VMCS 0x201A)
  bool vpid_enabled = false;     // "enable VPID" (secondary bit 5)
  u16 vpid = 0;                  // VPID (VMCS 0x0000); used only when vpid_enabled
  bool mode_based_exec = false;  // "mode-based execute control for EPT" (secondary bit 22)
  bool pml = false;              // "enable PML" (secondary bit 17); logs only with EPTP bit 6
  u64 pml_address = 0;           // PML address (VMCS 0x200E), 4 KiB aligned host-physical
  u16 pml_index = 0;             // guest PML index (VMCS 0x0812): decremented per entry logged
  // Execute-only EPT entries (bits 2:0 = 100b): supported unless a test
  // turns them off to see the misconfiguration (§28.2.3.1).
  bool execute_only = true;

  // The VPID translations are tagged with: 0 in root operation and when
  // "enable VPID" is 0 (SDM §28.3.1).
  u16 effective_vpid() const { return non_root && vpid_enabled ? vpid : 0; }
  bool ept_active() const { return non_root && ept; }
  bool access_dirty() const { return eptp & eptp::kAccessDirty; }
  int levels() const { return int((eptp >> eptp::kWalkLengthShift) & 7) + 1; }
  // The EP4TA (bits 51:12 of EPTP) that combined and guest-physical
  // mappings are tagged with.
  u64 ep4ta() const { return eptp & 0x000ffffffffff000ull; }
  bool logs_pages() const { return pml && access_dirty(); }

  void serialize(Serializer& s) {
    s.flag(non_root), s.flag(ept), s(eptp), s.flag(vpid_enabled), s(vpid), s.flag(mode_based_exec);
    s.flag(pml), s(pml_address), s(pml_index), s.flag(execute_only);
  }
};

// Exit reasons of EPT-induced VM exits (SDM Vol. 3D Appendix C); an
// APIC-access exit (44) when a guest-physical access reaches the APIC-access
// page (SDM Vol. 3C §30.4.6.2).
namespace exit_reason {
inline constexpr u16 kApicAccess = 44, kEptViolation = 48, kEptMisconfig = 49, kPmlFull = 62;
}

// Exit qualification of an EPT violation (SDM Vol. 3C Table 27-7).
namespace ept_qual {
inline constexpr u64 kRead = 1 << 0;             // data read (guest paging-structure reads are data reads)
inline constexpr u64 kWrite = 1 << 1;            // data write (with EPT A/D, guest paging-structure reads too)
inline constexpr u64 kFetch = 1 << 2;            // instruction fetch
inline constexpr unsigned kRightsShift = 3;      // bits 5:3: AND of bits 2:0 of the EPT entries used
inline constexpr u64 kUserExecutable = 1 << 6;   // with mode-based execute: AND of bit 10
inline constexpr u64 kLinearValid = 1 << 7;      // guest-linear address field valid
inline constexpr u64 kTranslated = 1 << 8;       // the GPA is a linear address's translation, not a walk's entry
inline constexpr u64 kUserLinear = 1 << 9;       // advanced info: user-mode linear address
inline constexpr u64 kWritableLinear = 1 << 10;  // advanced info: R/W = 1 in every guest entry
inline constexpr u64 kNxLinear = 1 << 11;        // advanced info: execute-disable linear address
inline constexpr u64 kNmiUnblocking = 1 << 12;   // NMI unblocking due to IRET
}  // namespace ept_qual

// ApicAccess: a guest-physical access (a guest paging-structure entry, a
// PDPTE load) whose EPT translation is on the APIC-access page ("virtualize
// APIC accesses", SDM Vol. 3C §30.4.6.2): an APIC-access VM exit with
// access type 15, or 10 during event delivery (Table 28-6).
enum class EptFaultKind : u8 { None, Violation, Misconfig, PmlFull, ApicAccess };

// An EPT-induced VM exit, as the translation found it (SDM Vol. 3C §27.2.1
// "Basic VM-Exit Information" for the fields).
struct EptFault {
  EptFaultKind kind = EptFaultKind::None;
  // Violation: Table 27-7 (bits 0-12). PML full: bit 12 only.
  // Misconfiguration: 0 (the SDM leaves it undefined). APIC access: the
  // page offset and access type 15 (Table 27-6).
  u64 qualification = 0;
  u64 gpa = 0;  // guest-physical address of the access (a PML-full event: the page's)
  u64 gla = 0;  // guest-linear address, meaningful when qualification bit 7 is set
  // Bit 63 of the EPT entry that caused a violation ("suppress #VE"), for
  // the "EPT-violation #VE" control; 0 for the others.
  bool suppress_ve = false;
  // Set by the CPU when the fault happened while delivering an event (the
  // VM exit then saves it as IDT-vectoring information, SDM §27.2.3).
  bool during_delivery = false;
  u8 vector = 0;
  bool has_error = false;
  u32 error = 0;
  bool software = false;  // INT n / INT3 / INTO
  // A software event's instruction length (the VM-entry instruction length
  // for an injected one), recorded for exits during its delivery (§27.2.5).
  u8 instruction_length = 0;

  u16 exit_reason() const {
    return kind == EptFaultKind::Misconfig    ? exit_reason::kEptMisconfig
           : kind == EptFaultKind::PmlFull    ? exit_reason::kPmlFull
           : kind == EptFaultKind::ApicAccess ? exit_reason::kApicAccess
                                              : exit_reason::kEptViolation;
  }
};

// Turns EPT faults into VM exits (the VMX code implements it; Cpu calls it
// from its run loop once the faulting instruction has been abandoned: no
// architectural state of it was changed).
class EptFaultSink {
 public:
  virtual ~EptFaultSink() = default;
  virtual void ept_fault(const EptFault& f) = 0;
};

}  // namespace vtlab
