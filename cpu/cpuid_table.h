// What the CPU reports through CPUID (DESIGN: every bit reported works), and
// the tables that keep the report coherent: each feature's prerequisites,
// the CPUID bit of each instruction-set extension the decoder admits, and
// the CPUID bit behind each CR4 bit MOV to CR4 accepts. tests/cpuid walks
// them.
#pragma once
#include <span>

#include "core/base/types.h"
#include "cpu/state.h"

namespace vtlab {

enum class CpuidReg : u8 { Eax, Ebx, Ecx, Edx };

// One feature bit: where CPUID reports it (SDM Vol. 2 CPUID, Tables 3-8 ..).
struct CpuidBit {
  const char* name;
  u32 leaf, subleaf;
  CpuidReg reg;
  u8 bit;
};
constexpr u32 cpuid_bit_mask(const CpuidBit& b) { return u32(1) << b.bit; }

namespace feature {
// Leaf 1 EDX.
inline constexpr CpuidBit FPU{"FPU", 1, 0, CpuidReg::Edx, 0}, MMX{"MMX", 1, 0, CpuidReg::Edx, 23};
inline constexpr CpuidBit VME{"VME", 1, 0, CpuidReg::Edx, 1}, DE{"DE", 1, 0, CpuidReg::Edx, 2},
    PSE{"PSE", 1, 0, CpuidReg::Edx, 3}, TSC{"TSC", 1, 0, CpuidReg::Edx, 4}, MSR{"MSR", 1, 0, CpuidReg::Edx, 5},
    PAE{"PAE", 1, 0, CpuidReg::Edx, 6}, MCE{"MCE", 1, 0, CpuidReg::Edx, 7}, CX8{"CX8", 1, 0, CpuidReg::Edx, 8},
    PGE{"PGE", 1, 0, CpuidReg::Edx, 13}, CMOV{"CMOV", 1, 0, CpuidReg::Edx, 15}, PAT{"PAT", 1, 0, CpuidReg::Edx, 16},
    PSE36{"PSE-36", 1, 0, CpuidReg::Edx, 17}, CLFSH{"CLFSH", 1, 0, CpuidReg::Edx, 19},
    FXSR{"FXSR", 1, 0, CpuidReg::Edx, 24}, SSE{"SSE", 1, 0, CpuidReg::Edx, 25}, SSE2{"SSE2", 1, 0, CpuidReg::Edx, 26};
inline constexpr CpuidBit APIC{"APIC", 1, 0, CpuidReg::Edx, 9}, SEP{"SEP", 1, 0, CpuidReg::Edx, 11},
    MTRR{"MTRR", 1, 0, CpuidReg::Edx, 12}, MCA{"MCA", 1, 0, CpuidReg::Edx, 14}, HTT{"HTT", 1, 0, CpuidReg::Edx, 28};
// Leaf 1 ECX.
inline constexpr CpuidBit SSE3{"SSE3", 1, 0, CpuidReg::Ecx, 0}, PCLMULQDQ{"PCLMULQDQ", 1, 0, CpuidReg::Ecx, 1},
    VMX{"VMX", 1, 0, CpuidReg::Ecx, 5}, SMX{"SMX", 1, 0, CpuidReg::Ecx, 6}, SSSE3{"SSSE3", 1, 0, CpuidReg::Ecx, 9},
    CX16{"CX16", 1, 0, CpuidReg::Ecx, 13}, PCID{"PCID", 1, 0, CpuidReg::Ecx, 17},
    SSE4_1{"SSE4.1", 1, 0, CpuidReg::Ecx, 19}, SSE4_2{"SSE4.2", 1, 0, CpuidReg::Ecx, 20},
    MOVBE{"MOVBE", 1, 0, CpuidReg::Ecx, 22}, POPCNT{"POPCNT", 1, 0, CpuidReg::Ecx, 23},
    AES{"AES", 1, 0, CpuidReg::Ecx, 25}, XSAVE{"XSAVE", 1, 0, CpuidReg::Ecx, 26},
    OSXSAVE{"OSXSAVE", 1, 0, CpuidReg::Ecx, 27};
inline constexpr CpuidBit MONITOR{"MONITOR", 1, 0, CpuidReg::Ecx, 3}, X2APIC{"x2APIC", 1, 0, CpuidReg::Ecx, 21},
    TSC_DEADLINE{"TSC-deadline", 1, 0, CpuidReg::Ecx, 24}, RDRAND{"RDRAND", 1, 0, CpuidReg::Ecx, 30},
    HYPERVISOR{"hypervisor", 1, 0, CpuidReg::Ecx, 31};
// Leaf 7 subleaf 0 EBX, ECX.
inline constexpr CpuidBit FSGSBASE{"FSGSBASE", 7, 0, CpuidReg::Ebx, 0}, BMI1{"BMI1", 7, 0, CpuidReg::Ebx, 3},
    SMEP{"SMEP", 7, 0, CpuidReg::Ebx, 7}, BMI2{"BMI2", 7, 0, CpuidReg::Ebx, 8},
    INVPCID{"INVPCID", 7, 0, CpuidReg::Ebx, 10}, ADX{"ADX", 7, 0, CpuidReg::Ebx, 19},
    MPX{"MPX", 7, 0, CpuidReg::Ebx, 14}, SMAP{"SMAP", 7, 0, CpuidReg::Ebx, 20};
inline constexpr CpuidBit TSC_ADJUST{"TSC_ADJUST", 7, 0, CpuidReg::Ebx, 1}, RDSEED{"RDSEED", 7, 0, CpuidReg::Ebx, 18},
    CLFLUSHOPT{"CLFLUSHOPT", 7, 0, CpuidReg::Ebx, 23}, CLWB{"CLWB", 7, 0, CpuidReg::Ebx, 24};
inline constexpr CpuidBit RDPID{"RDPID", 7, 0, CpuidReg::Ecx, 22},
    ARCH_CAPABILITIES{"ARCH_CAPABILITIES", 7, 0, CpuidReg::Edx, 29};
inline constexpr CpuidBit UMIP{"UMIP", 7, 0, CpuidReg::Ecx, 2}, PKU{"PKU", 7, 0, CpuidReg::Ecx, 3},
    OSPKE{"OSPKE", 7, 0, CpuidReg::Ecx, 4}, CET_SS{"CET-SS", 7, 0, CpuidReg::Ecx, 7},
    LA57{"LA57", 7, 0, CpuidReg::Ecx, 16}, CLDEMOTE{"CLDEMOTE", 7, 0, CpuidReg::Ecx, 25};
inline constexpr CpuidBit CET_IBT{"CET-IBT", 7, 0, CpuidReg::Edx, 20};
// Leaf 0DH subleaf 1 EAX: the XSAVE extensions (SDM Vol. 1 §13.2).
inline constexpr CpuidBit XSAVEOPT{"XSAVEOPT", 0xd, 1, CpuidReg::Eax, 0}, XSAVEC{"XSAVEC", 0xd, 1, CpuidReg::Eax, 1},
    XGETBV1{"XGETBV-ECX1", 0xd, 1, CpuidReg::Eax, 2}, XSAVES{"XSAVES", 0xd, 1, CpuidReg::Eax, 3};
// Leaf 80000001H ECX, EDX.
inline constexpr CpuidBit LAHF_LM{"LAHF-SAHF", 0x80000001, 0, CpuidReg::Ecx, 0},
    ABM{"LZCNT", 0x80000001, 0, CpuidReg::Ecx, 5}, PRFCHW{"PRFCHW", 0x80000001, 0, CpuidReg::Ecx, 8};
inline constexpr CpuidBit SYSCALL{"SYSCALL", 0x80000001, 0, CpuidReg::Edx, 11},
    NX{"NX", 0x80000001, 0, CpuidReg::Edx, 20}, PAGE1GB{"1GB-pages", 0x80000001, 0, CpuidReg::Edx, 26},
    RDTSCP{"RDTSCP", 0x80000001, 0, CpuidReg::Edx, 27}, LM{"LM", 0x80000001, 0, CpuidReg::Edx, 29};
// Leaf 80000007H EDX.
inline constexpr CpuidBit INVARIANT_TSC{"invariant-TSC", 0x80000007, 0, CpuidReg::Edx, 8};
}  // namespace feature

// CR4 bits software may set on this CPU model; each has its CPUID bit
// (cr4_features()).
inline constexpr u64 kSupportedCr4 = cr4::DE | cr4::PSE | cr4::PAE | cr4::MCE | cr4::PGE | cr4::PCE | cr4::OSFXSR |
                                     cr4::OSXMMEXCPT | cr4::TSD | cr4::PCIDE | cr4::OSXSAVE | cr4::SMEP | cr4::SMAP |
                                     cr4::PKE | cr4::VME | cr4::PVI | cr4::UMIP | cr4::FSGSBASE | cr4::VMXE;

// What CPUID answers besides the fixed model: the vCPU's place in the
// topology, the virtual clock rate (TSC and crystal frequency leaves), and
// state the SDM lets leaves depend on (IA32_MISC_ENABLE, the APIC).
struct CpuidContext {
  u32 apic_id = 0;
  u32 cpu_count = 1;
  u64 insns_per_us = 1000;        // virtual clock rate: TSC ticks per microsecond
  bool apic_enabled = false;      // a local APIC is attached and IA32_APIC_BASE.EN=1
  bool x2apic = false;            // the attached APIC supports x2APIC mode
  bool tsc_deadline = false;      // ... and the TSC-deadline timer mode
  bool limit_cpuid = false;       // IA32_MISC_ENABLE[22]: leaf 0 reports at most 2
  bool xd_disable = false;        // IA32_MISC_ENABLE[34]: NX reported as 0
  bool monitor_disabled = false;  // IA32_MISC_ENABLE[18] clear: MONITOR (and leaf 05H) reported as 0
};

// The crystal clock of leaf 15H (and the local APIC timer's clock, as on
// the processors whose leaf 15H reports it): 25 MHz. The TSC runs at the
// virtual clock rate, a ratio of it.
inline constexpr u32 kCrystalHz = 25'000'000;

// Fills EAX, EBX, ECX, EDX for a leaf/subleaf. A leaf above the maximum
// basic or extended leaf answers as the highest basic leaf does (Intel,
// SDM Vol. 2 CPUID); a leaf within the range with no row answers zeros.
// Bits that mirror control registers (OSPKE, OSXSAVE) are added by Cpu::cpuid.
void cpuid_lookup(const CpuidContext& ctx, u32 leaf, u32 subleaf, u32 out[4]);
// The same for one vCPU with the default context (the model's fixed bits).
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

// XSAVE-managed state (SDM Vol. 1 §13.1): the components this CPU model
// supports, x87 (bit 0) and SSE (bit 1); XCR0 may hold only these, with
// bit 0 set. Both live in the 512-byte legacy region, so an XSAVE area is
// the legacy region plus the 64-byte header, in either format.
inline constexpr u64 kXcr0X87 = 1, kXcr0Sse = 2, kXcr0Supported = kXcr0X87 | kXcr0Sse;
inline constexpr u32 kXsaveAreaSize = 512 + 64;

// ---- coherence tables ----

// `feature` may be reported only together with `needs`.
struct CpuidRequirement {
  CpuidBit feature, needs;
  const char* why;
};
std::span<const CpuidRequirement> cpuid_requirements();

// The CPUID bit that announces an instruction-set extension (or a set
// within one) the decoder admits; bit == nullptr: part of every x86-64 CPU.
struct IsaFeature {
  u16 zydis_isa_ext;  // ZYDIS_ISA_EXT_INVALID when a set is meant
  u16 zydis_isa_set;  // ZYDIS_ISA_SET_INVALID when an extension is meant
  const CpuidBit* bit;
};
std::span<const IsaFeature> isa_features();

// The CPUID bit that announces a CR4 bit (nullptr: none needed, PCE).
struct Cr4Feature {
  u64 cr4_bit;
  const CpuidBit* bit;
};
std::span<const Cr4Feature> cr4_features();

}  // namespace vtlab
