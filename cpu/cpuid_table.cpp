#include "cpu/cpuid_table.h"

#include <Zydis/Zydis.h>

#include <cstring>

#include "mmu/paging.h"

namespace vtlab {
namespace {

namespace f = feature;

struct Leaf {
  u32 leaf, subleaf;
  u32 eax, ebx, ecx, edx;
};

constexpr u32 chars(const char (&s)[5]) {
  return u32(u8(s[0])) | u32(u8(s[1])) << 8 | u32(u8(s[2])) << 16 | u32(u8(s[3])) << 24;
}

// The bits of one register, from feature names.
template <typename... B>
constexpr u32 bits(const B&... b) {
  return (cpuid_bit_mask(b) | ... | 0u);
}

// Family 6, model 0x9a-like signature; the VMX and later feature bits are
// added as those parts land.
constexpr Leaf kLeaves[] = {
    {0, 0, 7, chars("Genu"), chars("ntel"), chars("ineI")},
    {1, 0, 0x000906a0, 0x00000800 /* CLFLUSH line 8*8 */, bits(f::CX16, f::PCID, f::MOVBE, f::POPCNT),
     bits(f::FPU, f::DE, f::PSE, f::TSC, f::MSR, f::PAE, f::MCE, f::CX8, f::PGE, f::CMOV, f::PAT, f::PSE36, f::CLFSH,
          f::MMX, f::FXSR, f::SSE, f::SSE2)},
    {7, 0, 0, bits(f::BMI1, f::SMEP, f::BMI2, f::INVPCID, f::ADX, f::SMAP), bits(f::PKU), 0},
    {0x80000000, 0, 0x80000008, 0, 0, 0},
    {0x80000001, 0, 0, 0, bits(f::LAHF_LM, f::ABM, f::PRFCHW), bits(f::SYSCALL, f::NX, f::PAGE1GB, f::RDTSCP, f::LM)},
    {0x80000002, 0, chars("vtla"), chars("b vi"), chars("rtua"), chars("l x8")},
    {0x80000003, 0, chars("6-64"), chars(" CPU"), 0, 0},
    {0x80000004, 0, 0, 0, 0, 0},
    {0x80000008, 0, 0x3000 | kMaxPhysAddrBits /* linear 48, physical 46 bits */, 0, 0, 0},
};

// Instruction set extensions the CPU executes; each matches a CPUID bit above
// (BASE and LONGMODE: the architecture itself; the reserved-NOP space
// decodes as BASE NOPs). AMD3DNOW_PREFETCH is Zydis' name for 0F 0D
// PREFETCH/PREFETCHW: PRFCHW in CPUID (hints, no architectural effect).
constexpr ZydisISAExt kSupportedExt[] = {
    ZYDIS_ISA_EXT_BASE,  ZYDIS_ISA_EXT_LONGMODE,  ZYDIS_ISA_EXT_SSE,   ZYDIS_ISA_EXT_SSE2,   ZYDIS_ISA_EXT_BMI1,
    ZYDIS_ISA_EXT_BMI2,  ZYDIS_ISA_EXT_ADOX_ADCX, ZYDIS_ISA_EXT_LZCNT, ZYDIS_ISA_EXT_MOVBE,  ZYDIS_ISA_EXT_RDTSCP,
    ZYDIS_ISA_EXT_PAUSE, ZYDIS_ISA_EXT_CLFSH,     ZYDIS_ISA_EXT_SMAP,  ZYDIS_ISA_EXT_PKU,    ZYDIS_ISA_EXT_INVPCID,
    ZYDIS_ISA_EXT_AMD3DNOW_PREFETCH, ZYDIS_ISA_EXT_X87, ZYDIS_ISA_EXT_MMX,
};
// Sets that execute although their extension is not listed: POPCNT (Zydis
// files it under SSE4); PREFETCHWT1 (0F 0D /2), which the SDM makes #UD only
// with LOCK, so it is a prefetch hint whether or not CPUID reports it.
constexpr ZydisISASet kSupportedSet[] = {ZYDIS_ISA_SET_POPCNT, ZYDIS_ISA_SET_PREFETCHWT1};

// ---- coherence tables (see cpuid_table.h) ----

constexpr CpuidRequirement kRequirements[] = {
    {f::LM, f::PAE, "IA-32e mode runs with CR4.PAE=1 (SDM Vol. 3A §4.1.1)"},
    {f::LM, f::MSR, "IA-32e mode is enabled through IA32_EFER, written with WRMSR"},
    {f::NX, f::PAE, "the XD bit exists only in PAE and 4/5-level entries (§4.4, §4.5)"},
    {f::PAGE1GB, f::LM, "1-GByte pages exist only in 4/5-level paging (§4.5)"},
    {f::PSE36, f::PSE, "PSE-36 extends the 4-MByte pages of CR4.PSE (§4.3)"},
    {f::PCID, f::LM, "CR4.PCIDE can be set only in IA-32e mode (§4.10.1)"},
    {f::INVPCID, f::PCID, "INVPCID invalidates by PCID (Vol. 2 INVPCID)"},
    {f::PKU, f::LM, "protection keys work only with 4/5-level paging (§4.6.2)"},
    {f::OSPKE, f::PKU, "OSPKE mirrors CR4.PKE, which needs PKU"},
    {f::SSE, f::FXSR, "SSE state is enabled by CR4.OSFXSR and saved by FXSAVE"},
    {f::FXSR, f::FPU, "FXSAVE/FXRSTOR save and restore the x87 state"},
    {f::MMX, f::FPU, "the MMX registers are the x87 data registers (SDM Vol. 1 §9.2.1)"},
    {f::SSE, f::MMX, "SSE adds instructions on MMX registers (PAVGB mm, PSHUFW, ...)"},
    {f::CMOV, f::FPU, "the bit also reports FCMOVcc and FCOMI when the FPU is present (Vol. 2 CPUID)"},
    {f::SSE2, f::SSE, "SSE2 extends the SSE registers and MXCSR"},
    {f::RDTSCP, f::TSC, "RDTSCP reads the time-stamp counter"},
    {f::SYSCALL, f::LM, "SYSCALL/SYSRET are reported for 64-bit mode only (Vol. 2 CPUID)"},
    {f::LAHF_LM, f::LM, "the bit reports LAHF/SAHF in 64-bit mode"},
    {f::CX16, f::CX8, "CMPXCHG16B widens CMPXCHG8B"},
};

constexpr IsaFeature kIsaFeatures[] = {
    {ZYDIS_ISA_EXT_BASE, ZYDIS_ISA_SET_INVALID, nullptr},
    {ZYDIS_ISA_EXT_PAUSE, ZYDIS_ISA_SET_INVALID, nullptr},  // a hint: a NOP before SSE2
    {ZYDIS_ISA_EXT_LONGMODE, ZYDIS_ISA_SET_INVALID, &f::LM},
    {ZYDIS_ISA_EXT_SSE, ZYDIS_ISA_SET_INVALID, &f::SSE},
    {ZYDIS_ISA_EXT_SSE2, ZYDIS_ISA_SET_INVALID, &f::SSE2},
    {ZYDIS_ISA_EXT_BMI1, ZYDIS_ISA_SET_INVALID, &f::BMI1},
    {ZYDIS_ISA_EXT_BMI2, ZYDIS_ISA_SET_INVALID, &f::BMI2},
    {ZYDIS_ISA_EXT_ADOX_ADCX, ZYDIS_ISA_SET_INVALID, &f::ADX},
    {ZYDIS_ISA_EXT_LZCNT, ZYDIS_ISA_SET_INVALID, &f::ABM},
    {ZYDIS_ISA_EXT_MOVBE, ZYDIS_ISA_SET_INVALID, &f::MOVBE},
    {ZYDIS_ISA_EXT_RDTSCP, ZYDIS_ISA_SET_INVALID, &f::RDTSCP},
    {ZYDIS_ISA_EXT_CLFSH, ZYDIS_ISA_SET_INVALID, &f::CLFSH},
    {ZYDIS_ISA_EXT_SMAP, ZYDIS_ISA_SET_INVALID, &f::SMAP},
    {ZYDIS_ISA_EXT_PKU, ZYDIS_ISA_SET_INVALID, &f::PKU},
    {ZYDIS_ISA_EXT_INVPCID, ZYDIS_ISA_SET_INVALID, &f::INVPCID},
    {ZYDIS_ISA_EXT_AMD3DNOW_PREFETCH, ZYDIS_ISA_SET_INVALID, &f::PRFCHW},
    {ZYDIS_ISA_EXT_X87, ZYDIS_ISA_SET_INVALID, &f::FPU},
    {ZYDIS_ISA_EXT_MMX, ZYDIS_ISA_SET_INVALID, &f::MMX},
    {ZYDIS_ISA_EXT_INVALID, ZYDIS_ISA_SET_POPCNT, &f::POPCNT},
    {ZYDIS_ISA_EXT_INVALID, ZYDIS_ISA_SET_PREFETCHWT1, nullptr},  // a hint whatever CPUID says (see above)
};

constexpr Cr4Feature kCr4Features[] = {
    {cr4::VME, &f::VME},    {cr4::PVI, &f::VME},       {cr4::TSD, &f::TSC},        {cr4::DE, &f::DE},
    {cr4::PSE, &f::PSE},    {cr4::PAE, &f::PAE},       {cr4::MCE, &f::MCE},        {cr4::PGE, &f::PGE},
    {cr4::PCE, nullptr},    {cr4::OSFXSR, &f::FXSR},   {cr4::OSXMMEXCPT, &f::SSE}, {cr4::UMIP, &f::UMIP},
    {cr4::LA57, &f::LA57},  {cr4::VMXE, &f::VMX},      {cr4::SMXE, &f::SMX},       {cr4::FSGSBASE, &f::FSGSBASE},
    {cr4::PCIDE, &f::PCID}, {cr4::OSXSAVE, &f::XSAVE}, {cr4::SMEP, &f::SMEP},      {cr4::SMAP, &f::SMAP},
    {cr4::PKE, &f::PKU},
};

}  // namespace

bool isa_supported(u16 zydis_isa_ext, u16 zydis_isa_set) {
  for (ZydisISAExt e : kSupportedExt)
    if (e == zydis_isa_ext) return true;
  for (ZydisISASet s : kSupportedSet)
    if (s == zydis_isa_set) return true;
  return false;
}

namespace {

bool reported(const CpuidBit& b) {
  u32 r[4];
  cpuid_lookup(b.leaf, b.subleaf, r);
  return r[unsigned(b.reg)] & cpuid_bit_mask(b);
}

}  // namespace

NopSpaceExtensions nop_space_extensions() {
  return {reported(f::CET_SS) || reported(f::CET_IBT), reported(f::MPX), reported(f::CLDEMOTE)};
}

void cpuid_lookup(u32 leaf, u32 subleaf, u32 out[4]) {
  std::memset(out, 0, 4 * sizeof(u32));
  bool has_subleaves = leaf == 7;
  for (const Leaf& l : kLeaves) {
    if (l.leaf == leaf && (!has_subleaves || l.subleaf == subleaf)) {
      out[0] = l.eax, out[1] = l.ebx, out[2] = l.ecx, out[3] = l.edx;
      return;
    }
  }
}

std::span<const CpuidRequirement> cpuid_requirements() { return kRequirements; }
std::span<const IsaFeature> isa_features() { return kIsaFeatures; }
std::span<const Cr4Feature> cr4_features() { return kCr4Features; }

}  // namespace vtlab
