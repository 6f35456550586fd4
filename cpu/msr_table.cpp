#include "cpu/msr_table.h"

#include "cpu/vmx/capabilities.h"
#include "mmu/paging.h"

namespace vtlab {
namespace {

using namespace msr_index;
namespace f = feature;
constexpr u64 kHigh32 = 0xffffffff00000000ull;
// Physical-address bits above MAXPHYADDR (46) are reserved in every MSR that
// holds an address.
constexpr u64 kAboveMaxPhys = ~((u64(1) << kMaxPhysAddrBits) - 1);

#define FIELD(member) +[](MsrFile& m, u32) { return &m.member; }

constexpr MsrDesc kMsrs[] = {
    // Machine-check (P5 style, with CR4.MCE): nothing is ever logged.
    {kP5McAddr, kP5McAddr, "IA32_P5_MC_ADDR", &f::MCE, MsrKind::Constant, nullptr, 0, 0},
    {kP5McType, kP5McType, "IA32_P5_MC_TYPE", &f::MCE, MsrKind::Constant, nullptr, 0, 0},
    {kTsc, kTsc, "IA32_TIME_STAMP_COUNTER", &f::TSC, MsrKind::Special, nullptr, 0, 0},
    // Platform ID 0 (bits 52:50), which the microcode loader reads.
    {kPlatformId, kPlatformId, "IA32_PLATFORM_ID", nullptr, MsrKind::Constant, nullptr, 0, 0},
    {kApicBase, kApicBase, "IA32_APIC_BASE", nullptr, MsrKind::Special, FIELD(apic_base),
     0xfee00000 | apic_base::kBsp | apic_base::kEnable, kAboveMaxPhys | 0x2ff},
    // Lock (bit 0) and VMX outside SMX (bit 2); once locked, every write
    // raises #GP(0). The firmware locks it with VMX enabled
    // (core/machine/firmware/feature_control_setup.h).
    {kFeatureControl, kFeatureControl, "IA32_FEATURE_CONTROL", nullptr, MsrKind::Special, FIELD(feature_control), 0,
     ~(kFeatureControlLock | kFeatureControlVmxOutsideSmx)},
    // The VMX capability MSRs (cpu/vmx/capabilities.cpp), read-only.
    {vmx::cap_msr::kFirst, vmx::cap_msr::kLast, "IA32_VMX capabilities", &f::VMX, MsrKind::Special, nullptr, 0, 0},
    // TSC = virtual time + IA32_TSC_ADJUST (SDM Vol. 3A §17.17.3).
    {kTscAdjust, kTscAdjust, "IA32_TSC_ADJUST", &f::TSC_ADJUST, MsrKind::Stored, FIELD(tsc_adjust), 0, 0},
    // Microcode revision in bits 63:32; software writes 0 before CPUID(1)
    // and reads it back (SDM Vol. 3A §10.11.7.1).
    {kBiosSignId, kBiosSignId, "IA32_BIOS_SIGN_ID", nullptr, MsrKind::Constant, nullptr, u64(0x1) << 32, 0,
     msr_flag::kWriteIgnored},
    // Maximum non-turbo ratio (bits 15:8) and efficiency ratio (47:40) from
    // the virtual clock rate; no programmable ratios, no CPUID faulting.
    {kPlatformInfo, kPlatformInfo, "MSR_PLATFORM_INFO", nullptr, MsrKind::Special, nullptr, 0, 0},
    // 8 variable ranges, fixed ranges, write-combining; no SMRR.
    {kMtrrCap, kMtrrCap, "IA32_MTRRCAP", &f::MTRR, MsrKind::Constant, nullptr, 0x508, 0},
    // No speculative side channels to report: the *_NO bits (RDCL, SSB, MDS,
    // PSCHANGE_MC, TAA, SBDR_SSDP, FBSDP, PSDP, GDS, RFDS).
    {kArchCapabilities, kArchCapabilities, "IA32_ARCH_CAPABILITIES", &f::ARCH_CAPABILITIES, MsrKind::Constant, nullptr,
     (1u << 0) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 13) | (1u << 14) | (1u << 15) | (1u << 26) |
         (1u << 27),
     0},
    {kSysenterCs, kSysenterCs, "IA32_SYSENTER_CS", &f::SEP, MsrKind::Stored, FIELD(sysenter_cs), 0, kHigh32},
    {kSysenterEsp, kSysenterEsp, "IA32_SYSENTER_ESP", &f::SEP, MsrKind::Special, FIELD(sysenter_esp), 0, 0},
    {kSysenterEip, kSysenterEip, "IA32_SYSENTER_EIP", &f::SEP, MsrKind::Special, FIELD(sysenter_eip), 0, 0},
    // Machine-check architecture (SDM Vol. 3B §15.3.1): kMcBanks banks, no
    // MCG_CTL, no CMCI, no extended state, no LMCE. Nothing is ever logged:
    // the status registers read 0.
    {kMcgCap, kMcgCap, "IA32_MCG_CAP", &f::MCA, MsrKind::Constant, nullptr, kMcBanks, 0},
    // RIPV, EIPV, MCIP (bits 2:0) are writable, the rest reserved.
    {kMcgStatus, kMcgStatus, "IA32_MCG_STATUS", &f::MCA, MsrKind::Stored, FIELD(mcg_status), 0, ~u64(7)},
    // Fast strings (RW), BTS and PEBS unavailable (RO 1), MONITOR/MWAIT
    // enable (RW, 1 at power-on), limit CPUID maxval and XD disable (RW);
    // the last three change CPUID.
    {kMiscEnable, kMiscEnable, "IA32_MISC_ENABLE", nullptr, MsrKind::Special, FIELD(misc_enable),
     misc_enable::kFastStrings | misc_enable::kBtsUnavailable | misc_enable::kPebsUnavailable |
         misc_enable::kMonitorEnable,
     ~(misc_enable::kFastStrings | misc_enable::kBtsUnavailable | misc_enable::kPebsUnavailable |
       misc_enable::kMonitorEnable | misc_enable::kLimitCpuid | misc_enable::kXdDisable)},
    // No last-branch records, no branch trap (BTF): every bit is reserved.
    {kDebugCtl, kDebugCtl, "IA32_DEBUGCTL", nullptr, MsrKind::Stored, FIELD(debugctl), 0, ~u64(0)},
    // MSR_POWER_CTL: C1E enable (bit 1), which Linux's intel_idle sets on
    // this model (C1E promotion); nothing else is writable.
    {kPowerCtl, kPowerCtl, "MSR_POWER_CTL", nullptr, MsrKind::Stored, FIELD(power_ctl), 0, ~u64(2)},
    // PHYSBASEn: type in 7:0; PHYSMASKn: valid bit 11 (SDM Vol. 3A §11.11.2.3).
    {kMtrrPhysBase0, kMtrrPhysMask7, "IA32_MTRR_PHYSBASE/PHYSMASK", &f::MTRR, MsrKind::Special,
     +[](MsrFile& m, u32 i) { return &m.mtrr_var[i - kMtrrPhysBase0]; }, 0, 0},
    {kMtrrFix64k, kMtrrFix64k, "IA32_MTRR_FIX64K_00000", &f::MTRR, MsrKind::Special,
     +[](MsrFile& m, u32) { return &m.mtrr_fixed[0]; }, 0, 0},
    {kMtrrFix16k80000, kMtrrFix16kA0000, "IA32_MTRR_FIX16K", &f::MTRR, MsrKind::Special,
     +[](MsrFile& m, u32 i) { return &m.mtrr_fixed[1 + i - kMtrrFix16k80000]; }, 0, 0},
    {kMtrrFix4kC0000, kMtrrFix4kF8000, "IA32_MTRR_FIX4K", &f::MTRR, MsrKind::Special,
     +[](MsrFile& m, u32 i) { return &m.mtrr_fixed[3 + i - kMtrrFix4kC0000]; }, 0, 0},
    {kPat, kPat, "IA32_PAT", &f::PAT, MsrKind::Special, FIELD(pat), 0x0007040600070406ull, 0},
    // Type (7:0), fixed-range enable (10), MTRR enable (11); reset: disabled.
    {kMtrrDefType, kMtrrDefType, "IA32_MTRR_DEF_TYPE", &f::MTRR, MsrKind::Special, FIELD(mtrr_def_type), 0,
     ~u64(0xcff)},
    // MCi_CTL: any bits (error-reporting enables); MCi_STATUS, MCi_ADDR,
    // MCi_MISC: read 0, and only 0 may be written (SDM Vol. 3B §15.3.2.2-4:
    // writing 1s is #GP).
    {kMc0Ctl, kMcLastBankMsr, "IA32_MCi_CTL/STATUS/ADDR/MISC", &f::MCA, MsrKind::Special,
     +[](MsrFile& m, u32 i) { return &m.mc_ctl[(i - kMc0Ctl) / 4]; }, 0, 0},
    {kTscDeadline, kTscDeadline, "IA32_TSC_DEADLINE", &f::TSC_DEADLINE, MsrKind::Special, FIELD(tsc_deadline), 0, 0},
    {kX2apicFirst, kX2apicLast, "x2APIC registers", &f::X2APIC, MsrKind::Special, nullptr, 0, 0},
    {kEfer, kEfer, "IA32_EFER", nullptr, MsrKind::Special, nullptr, 0, 0},
    {kStar, kStar, "IA32_STAR", &f::LM, MsrKind::Stored, FIELD(star), 0, 0},
    {kLstar, kLstar, "IA32_LSTAR", &f::LM, MsrKind::Special, FIELD(lstar), 0, 0},
    {kCstar, kCstar, "IA32_CSTAR", &f::LM, MsrKind::Special, FIELD(cstar), 0, 0},
    {kSfmask, kSfmask, "IA32_FMASK", &f::LM, MsrKind::Stored, FIELD(sfmask), 0, kHigh32},
    {kFsBase, kFsBase, "IA32_FS_BASE", &f::LM, MsrKind::Special, nullptr, 0, 0},
    {kGsBase, kGsBase, "IA32_GS_BASE", &f::LM, MsrKind::Special, nullptr, 0, 0},
    {kKernelGsBase, kKernelGsBase, "IA32_KERNEL_GS_BASE", &f::LM, MsrKind::Special, FIELD(kernel_gs_base), 0, 0},
    {kTscAux, kTscAux, "IA32_TSC_AUX", &f::RDTSCP, MsrKind::Stored, FIELD(tsc_aux), 0, kHigh32},
};

#undef FIELD

}  // namespace

const MsrDesc* find_msr(u32 index) {
  for (const MsrDesc& d : kMsrs)
    if (index >= d.first && index <= d.last) return &d;
  return nullptr;
}

std::span<const MsrDesc> msr_table() { return kMsrs; }

void reset_msrs(MsrFile& m) {
  m = MsrFile{};
  for (const MsrDesc& d : kMsrs)
    if (d.slot)
      for (u32 i = d.first; i <= d.last; ++i) *d.slot(m, i) = d.value;
}

bool valid_memory_type(u64 type, bool pat) {
  return type == 0 || type == 1 || type == 4 || type == 5 || type == 6 || (pat && type == 7);
}

}  // namespace vtlab
