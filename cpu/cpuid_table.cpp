#include "cpu/cpuid_table.h"

#include <Zydis/Zydis.h>

#include <cstring>

namespace vtlab {
namespace {

// Feature bits, named as in the SDM Vol. 2 CPUID tables.
namespace leaf1_edx {
constexpr u32 TSC = 1 << 4, MSR = 1 << 5, CX8 = 1 << 8, PGE = 1 << 13, CMOV = 1 << 15, PAT = 1 << 16,
              CLFSH = 1 << 19, FXSR = 1 << 24, SSE = 1 << 25, SSE2 = 1 << 26, PSE = 1 << 3, DE = 1 << 2,
              MCE = 1 << 7;
}
namespace leaf1_ecx {
constexpr u32 CX16 = 1 << 13, MOVBE = 1 << 22, POPCNT = 1 << 23;
}
namespace leaf7_ebx {
constexpr u32 BMI1 = 1 << 3, BMI2 = 1 << 8, MPX = 1 << 14, ADX = 1 << 19;
}
namespace leaf7_ecx {
constexpr u32 CET_SS = 1 << 7, CLDEMOTE = 1 << 25;
}
namespace leaf7_edx {
constexpr u32 CET_IBT = 1 << 20;
}
namespace ext1_edx {
constexpr u32 SYSCALL = 1 << 11, NX = 1 << 20, PAGE1GB = 1 << 26, RDTSCP = 1 << 27, LM = 1 << 29;
}
namespace ext1_ecx {
constexpr u32 LAHF_LM = 1 << 0, ABM = 1 << 5, PRFCHW = 1 << 8;
}

struct Leaf {
  u32 leaf, subleaf;
  u32 eax, ebx, ecx, edx;
};

constexpr u32 chars(const char (&s)[5]) {
  return u32(u8(s[0])) | u32(u8(s[1])) << 8 | u32(u8(s[2])) << 16 | u32(u8(s[3])) << 24;
}

// Family 6, model 0x9a-like signature; the VMX, x87 and later feature bits
// are added as those parts land.
constexpr Leaf kLeaves[] = {
    {0, 0, 7, chars("Genu"), chars("ntel"), chars("ineI")},
    {1, 0, 0x000906a0, 0x00000800 /* CLFLUSH line 8*8 */, leaf1_ecx::CX16 | leaf1_ecx::MOVBE | leaf1_ecx::POPCNT,
     leaf1_edx::DE | leaf1_edx::PSE | leaf1_edx::TSC | leaf1_edx::MSR | leaf1_edx::MCE | leaf1_edx::CX8 |
         leaf1_edx::PGE | leaf1_edx::CMOV | leaf1_edx::PAT | leaf1_edx::CLFSH | leaf1_edx::FXSR | leaf1_edx::SSE |
         leaf1_edx::SSE2},
    {7, 0, 0, leaf7_ebx::BMI1 | leaf7_ebx::BMI2 | leaf7_ebx::ADX, 0, 0},
    {0x80000000, 0, 0x80000008, 0, 0, 0},
    {0x80000001, 0, 0, 0, ext1_ecx::LAHF_LM | ext1_ecx::ABM | ext1_ecx::PRFCHW,
     ext1_edx::SYSCALL | ext1_edx::NX | ext1_edx::PAGE1GB | ext1_edx::RDTSCP | ext1_edx::LM},
    {0x80000002, 0, chars("vtla"), chars("b vi"), chars("rtua"), chars("l x8")},
    {0x80000003, 0, chars("6-64"), chars(" CPU"), 0, 0},
    {0x80000004, 0, 0, 0, 0, 0},
    {0x80000008, 0, 0x3000 | 46 /* linear 48, physical 46 bits */, 0, 0, 0},
};

// Instruction set extensions the CPU executes; each matches a CPUID bit above
// (BASE and LONGMODE: the architecture itself; the reserved-NOP space
// decodes as BASE NOPs). AMD3DNOW_PREFETCH is Zydis' name for 0F 0D
// PREFETCH/PREFETCHW: PRFCHW in CPUID (hints, no architectural effect).
constexpr ZydisISAExt kSupportedExt[] = {ZYDIS_ISA_EXT_BASE,
                                         ZYDIS_ISA_EXT_LONGMODE,
                                         ZYDIS_ISA_EXT_SSE,
                                         ZYDIS_ISA_EXT_SSE2,
                                         ZYDIS_ISA_EXT_BMI1,
                                         ZYDIS_ISA_EXT_BMI2,
                                         ZYDIS_ISA_EXT_ADOX_ADCX,
                                         ZYDIS_ISA_EXT_LZCNT,
                                         ZYDIS_ISA_EXT_MOVBE,
                                         ZYDIS_ISA_EXT_RDTSCP,
                                         ZYDIS_ISA_EXT_PAUSE,
                                         ZYDIS_ISA_EXT_CLFSH,
                                         ZYDIS_ISA_EXT_AMD3DNOW_PREFETCH};
// Sets that execute although their extension is not listed: POPCNT (Zydis
// files it under SSE4); PREFETCHWT1 (0F 0D /2), which the SDM makes #UD only
// with LOCK, so it is a prefetch hint whether or not CPUID reports it.
constexpr ZydisISASet kSupportedSet[] = {ZYDIS_ISA_SET_POPCNT, ZYDIS_ISA_SET_PREFETCHWT1};

}  // namespace

bool isa_supported(u16 zydis_isa_ext, u16 zydis_isa_set) {
  for (ZydisISAExt e : kSupportedExt)
    if (e == zydis_isa_ext) return true;
  for (ZydisISASet s : kSupportedSet)
    if (s == zydis_isa_set) return true;
  return false;
}

NopSpaceExtensions nop_space_extensions() {
  u32 r[4];
  cpuid_lookup(7, 0, r);
  return {(r[2] & leaf7_ecx::CET_SS) || (r[3] & leaf7_edx::CET_IBT), (r[1] & leaf7_ebx::MPX) != 0,
          (r[2] & leaf7_ecx::CLDEMOTE) != 0};
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

}  // namespace vtlab
