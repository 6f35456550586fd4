#include "cpu/msr_table.h"

#include <iterator>

namespace vtlab {
namespace {

using namespace msr_index;
constexpr u64 kHigh32 = 0xffffffff00000000ull;

// TSC, EFER, FS/GS base are special-cased in Cpu (they live in other state).
constexpr MsrDesc kMsrs[] = {
    {kTsc, "IA32_TIME_STAMP_COUNTER", nullptr, 0, 0},
    {kApicBase, "IA32_APIC_BASE", &MsrFile::apic_base, 0, 0xffffc00000000000ull | 0x6ff},
    {kFeatureControl, "IA32_FEATURE_CONTROL", &MsrFile::feature_control, 0, ~u64(0x7)},
    {kTscAdjust, "IA32_TSC_ADJUST", &MsrFile::tsc_adjust, 0, 0},
    {kBiosSignId, "IA32_BIOS_SIGN_ID", nullptr, 0, 0},
    {kMtrrCap, "IA32_MTRRCAP", nullptr, 0, 0},
    {kSysenterCs, "IA32_SYSENTER_CS", &MsrFile::sysenter_cs, 0, kHigh32},
    {kSysenterEsp, "IA32_SYSENTER_ESP", &MsrFile::sysenter_esp, 0, 0},
    {kSysenterEip, "IA32_SYSENTER_EIP", &MsrFile::sysenter_eip, 0, 0},
    {kMcgCap, "IA32_MCG_CAP", nullptr, 0, 0},
    {kMcgStatus, "IA32_MCG_STATUS", nullptr, 0, 0},
    {kMiscEnable, "IA32_MISC_ENABLE", &MsrFile::misc_enable, 0, 0},
    {kPat, "IA32_PAT", &MsrFile::pat, 0, 0},
    {kMtrrDefType, "IA32_MTRR_DEF_TYPE", &MsrFile::mtrr_def_type, 0, ~u64(0xcff)},
    {kEfer, "IA32_EFER", nullptr, 0, 0},
    {kStar, "IA32_STAR", &MsrFile::star, 0, 0},
    {kLstar, "IA32_LSTAR", &MsrFile::lstar, 0, 0},
    {kCstar, "IA32_CSTAR", &MsrFile::cstar, 0, 0},
    {kSfmask, "IA32_FMASK", &MsrFile::sfmask, 0, kHigh32},
    {kFsBase, "IA32_FS_BASE", nullptr, 0, 0},
    {kGsBase, "IA32_GS_BASE", nullptr, 0, 0},
    {kKernelGsBase, "IA32_KERNEL_GS_BASE", &MsrFile::kernel_gs_base, 0, 0},
    {kTscAux, "IA32_TSC_AUX", &MsrFile::tsc_aux, 0, kHigh32},
};

}  // namespace

const MsrDesc* find_msr(u32 index) {
  for (const MsrDesc& d : kMsrs)
    if (d.index == index) return &d;
  return nullptr;
}

}  // namespace vtlab
