// What vtlab's VMX reports (DESIGN: every reported bit works): the VMX
// capability MSRs (SDM Vol. 3D Appendix A) in one table, and the names of
// the control bits the rest of cpu/vmx/ tests. A control is reported as
// allowed-1 only once it works; docs/vmx.md lists which are and are not.
#pragma once
#include <span>

#include "core/base/types.h"

namespace vtlab::vmx {

// Capability MSR indices (SDM Vol. 4 Table 2-2, Vol. 3D Appendix A).
namespace cap_msr {
inline constexpr u32 kBasic = 0x480, kPinbased = 0x481, kProcbased = 0x482, kExit = 0x483, kEntry = 0x484,
                     kMisc = 0x485, kCr0Fixed0 = 0x486, kCr0Fixed1 = 0x487, kCr4Fixed0 = 0x488, kCr4Fixed1 = 0x489,
                     kVmcsEnum = 0x48a, kProcbased2 = 0x48b, kEptVpidCap = 0x48c, kTruePinbased = 0x48d,
                     kTrueProcbased = 0x48e, kTrueExit = 0x48f, kTrueEntry = 0x490, kVmfunc = 0x491,
                     kProcbased3 = 0x492;
inline constexpr u32 kFirst = kBasic, kLast = kProcbased3;
}  // namespace cap_msr

// Pin-based VM-execution controls (SDM Vol. 3C §25.6.1, Table 25-5).
namespace pin {
inline constexpr u32 kExternalInterruptExiting = 1u << 0, kNmiExiting = 1u << 3, kVirtualNmis = 1u << 5,
                     kPreemptionTimer = 1u << 6, kPostedInterrupts = 1u << 7;
}
// Primary processor-based VM-execution controls (§25.6.2, Table 25-6).
namespace proc {
inline constexpr u32 kInterruptWindowExiting = 1u << 2, kUseTscOffsetting = 1u << 3, kHltExiting = 1u << 7,
                     kInvlpgExiting = 1u << 9, kMwaitExiting = 1u << 10, kRdpmcExiting = 1u << 11,
                     kRdtscExiting = 1u << 12, kCr3LoadExiting = 1u << 15, kCr3StoreExiting = 1u << 16,
                     kTertiaryControls = 1u << 17, kCr8LoadExiting = 1u << 19, kCr8StoreExiting = 1u << 20,
                     kUseTprShadow = 1u << 21, kNmiWindowExiting = 1u << 22, kMovDrExiting = 1u << 23,
                     kUnconditionalIoExiting = 1u << 24, kUseIoBitmaps = 1u << 25, kMonitorTrapFlag = 1u << 27,
                     kUseMsrBitmaps = 1u << 28, kMonitorExiting = 1u << 29, kPauseExiting = 1u << 30,
                     kSecondaryControls = 1u << 31;
}
// Secondary processor-based VM-execution controls (§25.6.2, Table 25-7).
namespace proc2 {
inline constexpr u32 kVirtualizeApicAccesses = 1u << 0, kEnableEpt = 1u << 1, kDescriptorTableExiting = 1u << 2,
                     kEnableRdtscp = 1u << 3, kVirtualizeX2apic = 1u << 4, kEnableVpid = 1u << 5,
                     kWbinvdExiting = 1u << 6, kUnrestrictedGuest = 1u << 7, kApicRegisterVirtualization = 1u << 8,
                     kVirtualInterruptDelivery = 1u << 9, kPauseLoopExiting = 1u << 10, kRdrandExiting = 1u << 11,
                     kEnableInvpcid = 1u << 12, kEnableVmfunc = 1u << 13, kVmcsShadowing = 1u << 14,
                     kEnclsExiting = 1u << 15, kRdseedExiting = 1u << 16, kEnablePml = 1u << 17,
                     kEptViolationVe = 1u << 18, kConcealFromPt = 1u << 19, kEnableXsaves = 1u << 20,
                     kModeBasedExecute = 1u << 22, kSubPageWrite = 1u << 23, kPtUsesGuestPhysical = 1u << 24,
                     kUseTscScaling = 1u << 25, kUserWaitPause = 1u << 26;
}
// VM-exit controls (§25.7.1, Table 25-13).
namespace exit_ctl {
inline constexpr u32 kSaveDebugControls = 1u << 2, kHostAddressSpaceSize = 1u << 9, kLoadPerfGlobalCtrl = 1u << 12,
                     kAckInterruptOnExit = 1u << 15, kSavePat = 1u << 18, kLoadPat = 1u << 19, kSaveEfer = 1u << 20,
                     kLoadEfer = 1u << 21, kSavePreemptionTimer = 1u << 22, kClearBndcfgs = 1u << 23;
}
// VM-entry controls (§25.8.1, Table 25-15).
namespace entry_ctl {
inline constexpr u32 kLoadDebugControls = 1u << 2, kIa32eModeGuest = 1u << 9, kEntryToSmm = 1u << 10,
                     kDeactivateDualMonitor = 1u << 11, kLoadPerfGlobalCtrl = 1u << 13, kLoadPat = 1u << 14,
                     kLoadEfer = 1u << 15, kLoadBndcfgs = 1u << 16;
}

// The VMCS revision identifier of vtlab's VMCS layout (IA32_VMX_BASIC[30:0]);
// the region is kVmcsRegionSize bytes, write-back (cpu/vmx/vmcs.h).
inline constexpr u32 kVmcsRevision = 0x1;
inline constexpr u32 kVmcsRegionSize = 4096;
// IA32_VMX_MISC: the preemption timer counts down once per 2^N TSC ticks.
inline constexpr unsigned kPreemptionTimerShift = 5;
inline constexpr unsigned kCr3TargetCount = 4;
// The MSR-load/store lists hold at most 512 * (N + 1) entries (MISC[27:25] = N).
inline constexpr u32 kMaxMsrListEntries = 512;

// One row per capability MSR: its value and when it exists (reading one
// that does not is #GP(0), SDM Vol. 3D §A.1-A.11).
struct CapabilityMsr {
  u32 index;
  const char* name;
  u64 value;
  // Exists only if this capability MSR (index) reports an allowed-1 bit
  // (mask over the 64-bit value); 0: always, while CPUID reports VMX.
  u32 needs_msr;
  u64 needs_bits;
};
std::span<const CapabilityMsr> capability_msrs();
// RDMSR of a capability MSR: false (#GP) for one that does not exist.
bool read_capability_msr(u32 index, u64& out);
// The MSR's value (0 for one that does not exist).
u64 capability(u32 index);

// A VMX control field: the bits that must be 1 (allowed-0 settings of the
// TRUE MSR, or of the plain MSR where there is no TRUE form) and the bits
// that may be 1 (allowed-1 settings).
struct ControlRule {
  u32 must_be_one, may_be_one;
  bool allows(u32 v) const { return (v & must_be_one) == must_be_one && (v & ~may_be_one) == 0; }
};
ControlRule pin_rule();
ControlRule proc_rule();
ControlRule proc2_rule();
ControlRule exit_rule();
ControlRule entry_rule();
// Whether the processor supports the 1-setting of a control.
inline bool supports_pin(u32 bit) { return pin_rule().may_be_one & bit; }
inline bool supports_proc(u32 bit) { return proc_rule().may_be_one & bit; }
inline bool supports_proc2(u32 bit) {
  return supports_proc(proc::kSecondaryControls) && (proc2_rule().may_be_one & bit);
}
inline bool supports_exit(u32 bit) { return exit_rule().may_be_one & bit; }
inline bool supports_entry(u32 bit) { return entry_rule().may_be_one & bit; }

// CR0 and CR4 in VMX operation (SDM Vol. 3D §A.7, §A.8): bits fixed to 1
// (FIXED0) and bits allowed to be 1 (FIXED1).
u64 cr0_fixed0();
u64 cr0_fixed1();
u64 cr4_fixed0();
u64 cr4_fixed1();

}  // namespace vtlab::vmx
