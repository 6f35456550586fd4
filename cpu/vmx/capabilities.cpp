// The VMX capability MSRs (SDM Vol. 3D Appendix A), modelled on an Intel
// server core of the Ice Lake-SP / Sapphire Rapids generations: the same
// default1 (reserved, must-be-one) bits, TRUE controls, activity states,
// CR3-target count, MSR-list size and VMWRITE to read-only fields, but
// allowed-1 bits only for the controls vtlab implements (docs/vmx.md
// lists what is and is not reported, and why).
#include "cpu/vmx/capabilities.h"

#include "cpu/cpuid_table.h"
#include "cpu/state.h"
#include "cpu/vmx/vmcs.h"
#include "mmu/ept.h"

namespace vtlab::vmx {
namespace {

// ---- control fields: (must be one, may be one) ----

// Default1 bits (SDM Vol. 3D §A.2): reserved bits that the plain
// capability MSRs report as must-be-one; the TRUE MSRs let software clear
// the ones that have a function (CR3-load/store exiting, the debug-control
// save/load).
constexpr u32 kPinDefault1 = 0x00000016;
constexpr u32 kProcDefault1 = 0x0401e172, kProcTrueDefault1 = 0x04006172;
constexpr u32 kExitDefault1 = 0x00036dff, kExitTrueDefault1 = 0x00036dfb;
constexpr u32 kEntryDefault1 = 0x000011ff, kEntryTrueDefault1 = 0x000011fb;

// Allowed-1 settings: one line per control that works.
constexpr u32 kPinAllowed1 = kPinDefault1 | pin::kExternalInterruptExiting |   // cpu/vmx/events.cpp
                             pin::kNmiExiting |                                // events.cpp
                             pin::kVirtualNmis |                               // events.cpp, entry.cpp, exit.cpp
                             pin::kPreemptionTimer;                            // preemption_timer.cpp
constexpr u32 kProcAllowed1 = kProcDefault1 | proc::kInterruptWindowExiting |  // events.cpp
                              proc::kUseTscOffsetting |                        // Cpu::tsc()
                              proc::kHltExiting | proc::kInvlpgExiting | proc::kMwaitExiting | proc::kRdpmcExiting |
                              proc::kRdtscExiting |                                  // intercepts.cpp
                              proc::kCr8LoadExiting | proc::kCr8StoreExiting |       // intercepts.cpp (MOV CR8)
                              proc::kUseTprShadow |                                  // intercepts.cpp, events.cpp
                              proc::kNmiWindowExiting |                              // events.cpp
                              proc::kMovDrExiting |                                  // intercepts.cpp
                              proc::kUnconditionalIoExiting | proc::kUseIoBitmaps |  // io_exits.cpp
                              proc::kMonitorTrapFlag |                               // events.cpp
                              proc::kUseMsrBitmaps |                                 // intercepts.cpp
                              proc::kMonitorExiting | proc::kPauseExiting |          // intercepts.cpp
                              proc::kSecondaryControls;
constexpr u32 kProc2Allowed1 = proc2::kEnableEpt | proc2::kEnableVpid |         // mmu/ept*, entry.cpp, exit.cpp
                               proc2::kUnrestrictedGuest |                      // entry.cpp, entry_checks.cpp
                               proc2::kEnablePml | proc2::kModeBasedExecute |   // mmu/ept* (SecondLevel)
                               proc2::kDescriptorTableExiting |                 // intercepts.cpp
                               proc2::kEnableRdtscp |                           // RDTSCP is #UD without it
                               proc2::kWbinvdExiting |                          // intercepts.cpp
                               proc2::kRdrandExiting | proc2::kRdseedExiting |  // intercepts.cpp
                               proc2::kEnableInvpcid |                          // INVPCID is #UD without it
                               proc2::kEnableVmfunc |                           // instructions.cpp (EPTP switching)
                               proc2::kVmcsShadowing |     // instructions.cpp (VMREAD/VMWRITE), vmcs.cpp
                               proc2::kPauseLoopExiting |  // intercepts.cpp
                               proc2::kUseTscScaling;      // events.cpp (Vmx::guest_tsc)
constexpr u32 kExitAllowed1 = kExitDefault1 | exit_ctl::kHostAddressSpaceSize |  // exit.cpp: 64-bit host
                              exit_ctl::kAckInterruptOnExit |                    // events.cpp
                              exit_ctl::kSavePat | exit_ctl::kLoadPat | exit_ctl::kSaveEfer |
                              exit_ctl::kLoadEfer |                           // exit.cpp
                              exit_ctl::kSavePreemptionTimer;                 // preemption_timer.cpp
constexpr u32 kEntryAllowed1 = kEntryDefault1 | entry_ctl::kIa32eModeGuest |  // entry.cpp
                               entry_ctl::kLoadPat | entry_ctl::kLoadEfer;    // entry.cpp

constexpr u64 ctl(u32 must_be_one, u32 may_be_one) { return u64(may_be_one) << 32 | must_be_one; }

// IA32_VMX_BASIC (SDM Vol. 3D §A.1): revision, region size, no 32-bit
// address limit, no dual-monitor SMM, write-back VMCS memory type (6),
// INS/OUTS exits report instruction information (bit 54), TRUE controls
// (bit 55). Bit 56 (exceptions injected with any error-code setting) is not
// reported: VM entry checks the error-code rule (cpu/vmx/entry_checks.cpp).
constexpr u64 kBasicValue = kVmcsRevision | u64(kVmcsRegionSize) << 32 | u64(6) << 50 | u64(1) << 54 | u64(1) << 55;

// IA32_VMX_MISC (§A.6): timer rate; EFER.LMA stored into "IA-32e mode
// guest" on exit (bit 5); the activity states HLT, shutdown and
// wait-for-SIPI (bits 6-8: activity_state.cpp); CR3-target count (24:16);
// MSR lists of 512 entries (27:25 = 0); VMWRITE to any field, also the
// exit-information fields (bit 29); injection of software interrupts and
// exceptions with an instruction length of 0 (bit 30).
constexpr u64 kMiscValue = kPreemptionTimerShift | 1u << 5 | 1u << 6 | 1u << 7 | 1u << 8 | u64(kCr3TargetCount) << 16 |
                           u64(1) << 29 | u64(1) << 30;

// CR0 in VMX operation: PE, NE, PG fixed to 1 (§A.7); every bit may be 1.
constexpr u64 kCr0Fixed0Value = cr0::PE | cr0::NE | cr0::PG, kCr0Fixed1Value = 0xffffffff;
// CR4: VMXE fixed to 1 (§A.8); the bits MOV to CR4 accepts may be 1.
constexpr u64 kCr4Fixed0Value = cr4::VMXE, kCr4Fixed1Value = kSupportedCr4 | cr4::VMXE;

using namespace cap_msr;
constexpr u64 kSecondaryAllowed = u64(proc::kSecondaryControls) << 32;

const CapabilityMsr kCapabilities[] = {
    {kBasic, "IA32_VMX_BASIC", kBasicValue, 0, 0},
    {kPinbased, "IA32_VMX_PINBASED_CTLS", ctl(kPinDefault1, kPinAllowed1), 0, 0},
    {kProcbased, "IA32_VMX_PROCBASED_CTLS", ctl(kProcDefault1, kProcAllowed1), 0, 0},
    {kExit, "IA32_VMX_EXIT_CTLS", ctl(kExitDefault1, kExitAllowed1), 0, 0},
    {kEntry, "IA32_VMX_ENTRY_CTLS", ctl(kEntryDefault1, kEntryAllowed1), 0, 0},
    {kMisc, "IA32_VMX_MISC", kMiscValue, 0, 0},
    {kCr0Fixed0, "IA32_VMX_CR0_FIXED0", kCr0Fixed0Value, 0, 0},
    {kCr0Fixed1, "IA32_VMX_CR0_FIXED1", kCr0Fixed1Value, 0, 0},
    {kCr4Fixed0, "IA32_VMX_CR4_FIXED0", kCr4Fixed0Value, 0, 0},
    {kCr4Fixed1, "IA32_VMX_CR4_FIXED1", kCr4Fixed1Value, 0, 0},
    {kVmcsEnum, "IA32_VMX_VMCS_ENUM", 0 /* from the VMCS field table */, 0, 0},
    // §A.3.3: exists if the "activate secondary controls" may be 1.
    {kProcbased2, "IA32_VMX_PROCBASED_CTLS2", ctl(0, kProc2Allowed1), kProcbased, kSecondaryAllowed},
    // §A.10: exists if EPT or VPID may be enabled; what mmu/ept* supports.
    {kEptVpidCap, "IA32_VMX_EPT_VPID_CAP", ept_cap::kSupported, kProcbased2,
     u64(proc2::kEnableEpt | proc2::kEnableVpid) << 32},
    // §A.3-A.5 (TRUE controls: BASIC[55]).
    {kTruePinbased, "IA32_VMX_TRUE_PINBASED_CTLS", ctl(kPinDefault1, kPinAllowed1), kBasic, u64(1) << 55},
    {kTrueProcbased, "IA32_VMX_TRUE_PROCBASED_CTLS", ctl(kProcTrueDefault1, kProcAllowed1), kBasic, u64(1) << 55},
    {kTrueExit, "IA32_VMX_TRUE_EXIT_CTLS", ctl(kExitTrueDefault1, kExitAllowed1), kBasic, u64(1) << 55},
    {kTrueEntry, "IA32_VMX_TRUE_ENTRY_CTLS", ctl(kEntryTrueDefault1, kEntryAllowed1), kBasic, u64(1) << 55},
    // §A.11: exists if "enable VM functions" may be 1.
    // Bit 0: EPTP switching, the one VM function (SDM Vol. 3C §26.5.6.3).
    {kVmfunc, "IA32_VMX_VMFUNC", 1, kProcbased2, u64(proc2::kEnableVmfunc) << 32},
    // §A.3.4: exists if "activate tertiary controls" may be 1 (it may not).
    {kProcbased3, "IA32_VMX_PROCBASED_CTLS3", 0, kProcbased, u64(proc::kTertiaryControls) << 32},
};

const CapabilityMsr* find(u32 index) {
  for (const CapabilityMsr& m : kCapabilities)
    if (m.index == index) return &m;
  return nullptr;
}

bool exists(const CapabilityMsr& m) {
  if (!m.needs_msr) return true;
  const CapabilityMsr* need = find(m.needs_msr);
  return need && exists(*need) && (need->value & m.needs_bits);
}

ControlRule rule(u32 msr) {
  const u64 v = capability(msr);
  return ControlRule{u32(v), u32(v >> 32)};
}

}  // namespace

std::span<const CapabilityMsr> capability_msrs() { return kCapabilities; }

bool read_capability_msr(u32 index, u64& out) {
  const CapabilityMsr* m = find(index);
  if (!m || !exists(*m)) return false;
  // VMCS_ENUM[9:1]: the highest index of any VMCS field encoding (§A.9).
  out = index == cap_msr::kVmcsEnum ? u64(highest_field_index()) << 1 : m->value;
  return true;
}

u64 capability(u32 index) {
  u64 v = 0;
  return read_capability_msr(index, v) ? v : 0;
}

// VM entry checks the controls against the TRUE MSRs (SDM Vol. 3C §27.2.1.1,
// Vol. 3D §A.2): their must-be-one bits are the smaller set.
ControlRule pin_rule() { return rule(cap_msr::kTruePinbased); }
ControlRule proc_rule() { return rule(cap_msr::kTrueProcbased); }
ControlRule proc2_rule() { return rule(cap_msr::kProcbased2); }
ControlRule exit_rule() { return rule(cap_msr::kTrueExit); }
ControlRule entry_rule() { return rule(cap_msr::kTrueEntry); }

u64 cr0_fixed0() { return kCr0Fixed0Value; }
u64 cr0_fixed1() { return kCr0Fixed1Value; }
u64 cr4_fixed0() { return kCr4Fixed0Value; }
u64 cr4_fixed1() { return kCr4Fixed1Value; }

}  // namespace vtlab::vmx
