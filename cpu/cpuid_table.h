// What the CPU reports through CPUID (DESIGN: every bit reported works).
#pragma once
#include "core/base/types.h"
#include "cpu/state.h"

namespace vtlab {

// CR4 bits software may set on this CPU model.
inline constexpr u64 kSupportedCr4 = cr4::DE | cr4::PSE | cr4::PAE | cr4::MCE | cr4::PGE | cr4::PCE |
                                     cr4::OSFXSR | cr4::OSXMMEXCPT | cr4::TSD;

// Fills EAX, EBX, ECX, EDX for a leaf/subleaf; unknown leaves answer zeros
// (the Intel behaviour for leaves above the maximum is to return the
// highest basic leaf; we report a consistent maximum so software never asks).
void cpuid_lookup(u32 leaf, u32 subleaf, u32 out[4]);

// Whether an instruction of this Zydis ISA extension / ISA set executes on
// this CPU model; the decoder turns the rest into #UD, as the SDM says for
// hardware without the feature ("#UD If CPUID.xx.yy = 0"). Kept next to
// CPUID so the two cannot drift apart.
bool isa_supported(u16 zydis_isa_ext, u16 zydis_isa_set);

// Extensions whose encodings live in the reserved-NOP space (0F 18-0F 1F) or
// are prefixes on other instructions. Hardware without them executes those
// encodings as NOPs / ignores the prefix (SDM Vol. 2: ENDBR32/64 and RDSSP
// are NOPs without CET, MPX instructions and the BND prefix without MPX,
// CLDEMOTE without CLDEMOTE), so the decoder decodes them as such (Zydis
// decoder modes) unless CPUID reports the extension. Derived from the CPUID
// leaves, so the two cannot disagree. See docs/architecture.md,
// "Instruction set gate".
struct NopSpaceExtensions {
  bool cet, mpx, cldemote;
};
NopSpaceExtensions nop_space_extensions();

}  // namespace vtlab
