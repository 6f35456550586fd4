// The MSRs this CPU implements: one row each (DESIGN: tables are the truth).
// RDMSR/WRMSR of an index not listed here raises #GP(0).
#pragma once
#include "core/base/types.h"
#include "cpu/state.h"

namespace vtlab {

namespace msr_index {
inline constexpr u32 kTsc = 0x10, kApicBase = 0x1b, kFeatureControl = 0x3a, kTscAdjust = 0x3b,
                     kBiosSignId = 0x8b, kMtrrCap = 0xfe, kSysenterCs = 0x174, kSysenterEsp = 0x175,
                     kSysenterEip = 0x176, kMcgCap = 0x179, kMcgStatus = 0x17a, kMiscEnable = 0x1a0,
                     kPat = 0x277, kMtrrDefType = 0x2ff, kEfer = 0xc0000080, kStar = 0xc0000081,
                     kLstar = 0xc0000082, kCstar = 0xc0000083, kSfmask = 0xc0000084, kFsBase = 0xc0000100,
                     kGsBase = 0xc0000101, kKernelGsBase = 0xc0000102, kTscAux = 0xc0000103;
}

struct MsrDesc {
  u32 index;
  const char* name;
  u64 MsrFile::*field;  // nullptr: read-only constant (or handled in Cpu)
  u64 fixed_value;      // value of a read-only constant MSR
  u64 reserved_mask;    // writing a 1 here raises #GP(0)
};

const MsrDesc* find_msr(u32 index);

}  // namespace vtlab
