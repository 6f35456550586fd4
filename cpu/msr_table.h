// The MSRs this CPU implements: one row each (DESIGN: tables are the truth).
// RDMSR/WRMSR of an index not listed here, or listed with a CPUID feature
// the model does not report, raises #GP(0), as on hardware without it.
// docs/cpu-model.md lists the rows and what Linux reads at boot.
#pragma once
#include <span>

#include "core/base/types.h"
#include "cpu/cpuid_table.h"
#include "cpu/state.h"

namespace vtlab {

namespace msr_index {
inline constexpr u32 kP5McAddr = 0x0, kP5McType = 0x1, kTsc = 0x10, kPlatformId = 0x17, kApicBase = 0x1b,
                     kFeatureControl = 0x3a, kTscAdjust = 0x3b, kBiosSignId = 0x8b, kPlatformInfo = 0xce,
                     kMtrrCap = 0xfe, kArchCapabilities = 0x10a, kSysenterCs = 0x174, kSysenterEsp = 0x175,
                     kSysenterEip = 0x176, kMcgCap = 0x179, kMcgStatus = 0x17a, kMiscEnable = 0x1a0, kDebugCtl = 0x1d9,
                     kPowerCtl = 0x1fc, kMc0Ctl = 0x400, kMtrrPhysBase0 = 0x200, kMtrrPhysMask7 = 0x20f,
                     kMtrrFix64k = 0x250, kMtrrFix16k80000 = 0x258, kMtrrFix16kA0000 = 0x259, kMtrrFix4kC0000 = 0x268,
                     kMtrrFix4kF8000 = 0x26f, kPat = 0x277, kMtrrDefType = 0x2ff, kTscDeadline = 0x6e0,
                     kX2apicFirst = 0x800, kX2apicLast = 0x8ff, kEfer = 0xc0000080, kStar = 0xc0000081,
                     kLstar = 0xc0000082, kCstar = 0xc0000083, kSfmask = 0xc0000084, kFsBase = 0xc0000100,
                     kGsBase = 0xc0000101, kKernelGsBase = 0xc0000102, kTscAux = 0xc0000103;
}

// IA32_MISC_ENABLE bits (SDM Vol. 4 Table 2-2) the model has.
namespace misc_enable {
inline constexpr u64 kFastStrings = 1, kBtsUnavailable = 1 << 11, kPebsUnavailable = 1 << 12, kMonitorEnable = 1 << 18,
                     kLimitCpuid = 1 << 22, kXdDisable = u64(1) << 34;
}
// Machine-check architecture (SDM Vol. 3B §15.3): banks of four MSRs each
// (MCi_CTL, MCi_STATUS, MCi_ADDR, MCi_MISC) from IA32_MC0_CTL.
inline constexpr unsigned kMcBanks = 10;
inline constexpr u32 kMcLastBankMsr = msr_index::kMc0Ctl + 4 * kMcBanks - 1;
// IA32_FEATURE_CONTROL (SDM Vol. 3C §24.7): the lock bit and "enable VMX
// outside SMX operation" (VMX inside SMX, bit 1, needs SMX: not reported).
inline constexpr u64 kFeatureControlLock = 1, kFeatureControlVmxOutsideSmx = 4;
// IA32_APIC_BASE: BSP, x2APIC enable (EXTD), APIC global enable.
namespace apic_base {
inline constexpr u64 kBsp = 1 << 8, kExtd = 1 << 10, kEnable = 1 << 11;
}

// How a row's value is kept.
enum class MsrKind : u8 {
  Stored,    // a field of MsrFile (`slot`), reset to `value`; writes checked against `reserved`
  Constant,  // reads `value`; writes raise #GP(0) unless kWriteIgnored
  Special,   // state elsewhere or side effects: handled in Cpu (cpu/msr.cpp)
};
namespace msr_flag {
inline constexpr u8 kWriteIgnored = 1;  // a Constant that accepts (and drops) writes
}

struct MsrDesc {
  u32 first, last;  // an inclusive index range (MTRR arrays, x2APIC)
  const char* name;
  const CpuidBit* needs;  // exists only while CPUID reports this (nullptr: always)
  MsrKind kind;
  u64* (*slot)(MsrFile&, u32 index);  // Stored
  u64 value;                          // Constant: the value; Stored: the reset value
  u64 reserved;                       // writing a 1 here raises #GP(0)
  u8 flags = 0;
};

const MsrDesc* find_msr(u32 index);
std::span<const MsrDesc> msr_table();
// Sets every Stored MSR to its reset value (SDM Vol. 3A §9.1.1, Table 9-1).
void reset_msrs(MsrFile& m);
// Whether `type` is a memory type an MTRR or the PAT may hold (0,1,4,5,6; the
// PAT also 7 = UC-).
bool valid_memory_type(u64 type, bool pat);

}  // namespace vtlab
