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

// The model: family 6, model 9AH, stepping 3 (a 12th-generation Core,
// Alder Lake-P J0; Linux's model-specific paths for it are listed in
// docs/cpu-model.md), reporting what vtlab implements and nothing else,
// VMX included (its capabilities: cpu/vmx/capabilities.cpp). Leaves 1 EBX, 4, 0BH, 15H
// and 16H depend on the context (cpuid_lookup below).
constexpr u32 kSignature = 0x000906a3;
constexpr u32 kMaxBasicLeaf = 0x1f, kMaxExtendedLeaf = 0x80000008;

constexpr Leaf kLeaves[] = {
    {0, 0, kMaxBasicLeaf, chars("Genu"), chars("ntel"), chars("ineI")},
    {1, 0, kSignature, 0x00000800 /* CLFLUSH line 8*8; IDs added */,
     bits(f::SSE3, f::PCLMULQDQ, f::SSSE3, f::CX16, f::PCID, f::SSE4_1, f::SSE4_2, f::MOVBE, f::POPCNT, f::AES,
          f::XSAVE) |
         bits(f::RDRAND, f::MONITOR, f::VMX),
     bits(f::FPU, f::DE, f::PSE, f::TSC, f::MSR, f::PAE, f::MCE, f::CX8, f::PGE, f::CMOV, f::PAT, f::PSE36, f::CLFSH,
          f::MMX, f::FXSR, f::SSE, f::SSE2) |
         bits(f::VME, f::SEP, f::MTRR, f::MCA)},
    // Cache and TLB descriptors: FFH "use leaf 4" only.
    {2, 0, 0x0000ff01, 0, 0, 0},
    // MONITOR/MWAIT (SDM Vol. 2 CPUID, leaf 05H): 64-byte monitor line as
    // both smallest and largest; ECX: the MWAIT extensions are enumerated
    // (bit 0) and interrupts break MWAIT even when masked (bit 1); EDX: two
    // C1 sub-states (C1, C1E: every MWAIT hint waits the same way here).
    {5, 0, 64, 64, 3, 0x20},
    {7, 0, 0,
     bits(f::BMI1, f::SMEP, f::BMI2, f::INVPCID, f::ADX, f::SMAP) |
         bits(f::FSGSBASE, f::TSC_ADJUST, f::RDSEED, f::CLFLUSHOPT, f::CLWB),
     bits(f::PKU) | bits(f::UMIP, f::RDPID), bits(f::ARCH_CAPABILITIES)},
    // XSAVE (SDM Vol. 1 §13.2): subleaf 0 gives the XCR0 bits supported
    // (x87, SSE), the area size for the XCR0 bits set (576 for any valid
    // XCR0: both live in the legacy region) and the maximum; subleaf 1 the
    // extensions and the compacted size. No component >= 2: subleaves 2-63
    // are zero.
    {0xd, 0, u32(kXcr0Supported), kXsaveAreaSize, kXsaveAreaSize, 0},
    {0xd, 1, bits(f::XSAVEOPT, f::XSAVEC, f::XGETBV1), kXsaveAreaSize, 0, 0},
    {0x80000000, 0, kMaxExtendedLeaf, 0, 0, 0},
    {0x80000001, 0, 0, 0, bits(f::LAHF_LM, f::ABM, f::PRFCHW), bits(f::SYSCALL, f::NX, f::PAGE1GB, f::RDTSCP, f::LM)},
    {0x80000002, 0, chars("vtla"), chars("b vi"), chars("rtua"), chars("l x8")},
    {0x80000003, 0, chars("6-64"), chars(" CPU"), 0, 0},
    {0x80000004, 0, 0, 0, 0, 0},
    // L2: 1024 KiB, 16-way (code 8), 64-byte lines (as leaf 4 subleaf 2).
    {0x80000006, 0, 0, 0, (1024u << 16) | (0x8u << 12) | 64, 0},
    {0x80000007, 0, 0, 0, 0, bits(f::INVARIANT_TSC)},
    {0x80000008, 0, 0x3000 | kMaxPhysAddrBits /* linear 48, physical 46 bits */, 0, 0, 0},
};

// Leaf 4, one row per cache (SDM Vol. 2 CPUID, Table 3-8): 64-byte lines.
struct CacheLevel {
  u32 type;  // 1 data, 2 instruction, 3 unified
  u32 level, ways, sets;
  bool shared;  // by every core of the package (L3)
};
constexpr CacheLevel kCaches[] = {
    {1, 1, 8, 64, false},     // L1d 32 KiB
    {2, 1, 8, 64, false},     // L1i 32 KiB
    {3, 2, 16, 1024, false},  // L2 1 MiB
    {3, 3, 16, 8192, true},   // L3 8 MiB
};

// Instruction set extensions the CPU executes; each matches a CPUID bit above
// (BASE and LONGMODE: the architecture itself; the reserved-NOP space
// decodes as BASE NOPs). AMD3DNOW_PREFETCH is Zydis' name for 0F 0D
// PREFETCH/PREFETCHW: PRFCHW in CPUID (hints, no architectural effect).
constexpr ZydisISAExt kSupportedExt[] = {
    ZYDIS_ISA_EXT_BASE,       ZYDIS_ISA_EXT_LONGMODE, ZYDIS_ISA_EXT_SSE,       ZYDIS_ISA_EXT_SSE2,
    ZYDIS_ISA_EXT_BMI1,       ZYDIS_ISA_EXT_BMI2,     ZYDIS_ISA_EXT_ADOX_ADCX, ZYDIS_ISA_EXT_LZCNT,
    ZYDIS_ISA_EXT_MOVBE,      ZYDIS_ISA_EXT_RDTSCP,   ZYDIS_ISA_EXT_PAUSE,     ZYDIS_ISA_EXT_CLFSH,
    ZYDIS_ISA_EXT_SMAP,       ZYDIS_ISA_EXT_PKU,      ZYDIS_ISA_EXT_INVPCID,   ZYDIS_ISA_EXT_AMD3DNOW_PREFETCH,
    ZYDIS_ISA_EXT_RDWRFSGS,   ZYDIS_ISA_EXT_RDPID,    ZYDIS_ISA_EXT_RDRAND,    ZYDIS_ISA_EXT_RDSEED,
    ZYDIS_ISA_EXT_CLFLUSHOPT, ZYDIS_ISA_EXT_CLWB,     ZYDIS_ISA_EXT_MONITOR,
    ZYDIS_ISA_EXT_SSE3,       ZYDIS_ISA_EXT_SSSE3,    ZYDIS_ISA_EXT_AES,       ZYDIS_ISA_EXT_PCLMULQDQ,
    ZYDIS_ISA_EXT_XSAVE,      ZYDIS_ISA_EXT_XSAVEOPT, ZYDIS_ISA_EXT_XSAVEC,    ZYDIS_ISA_EXT_X87,
    ZYDIS_ISA_EXT_MMX,        ZYDIS_ISA_EXT_VTX,      ZYDIS_ISA_EXT_VMFUNC,
};
// Sets that execute although their extension is not listed: Zydis files
// SSE4.1 (set SSE4), SSE4.2 (set SSE42) and POPCNT under one extension,
// SSE4, while CPUID reports each with its own bit; PREFETCHWT1 (0F 0D /2),
// which the SDM makes #UD only with LOCK, so it is a prefetch hint whether
// or not CPUID reports it.
constexpr ZydisISASet kSupportedSet[] = {ZYDIS_ISA_SET_SSE4, ZYDIS_ISA_SET_SSE42, ZYDIS_ISA_SET_POPCNT,
                                         ZYDIS_ISA_SET_PREFETCHWT1};

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
    {f::SSE3, f::SSE2, "SSE3 extends SSE2 (SDM Vol. 1 §12.3)"},
    {f::SSSE3, f::SSE3, "SSSE3 extends SSE3 (SDM Vol. 1 §12.4)"},
    {f::SSE4_1, f::SSSE3, "SSE4.1 extends SSSE3 (SDM Vol. 1 §12.5)"},
    {f::SSE4_2, f::SSE4_1, "SSE4.2 extends SSE4.1 (SDM Vol. 1 §12.10)"},
    {f::AES, f::SSE2, "AES-NI works on XMM registers (SDM Vol. 1 §12.13)"},
    {f::PCLMULQDQ, f::SSE2, "PCLMULQDQ works on XMM registers"},
    {f::XSAVE, f::FXSR, "the legacy region of an XSAVE area is the FXSAVE image (SDM Vol. 1 §13.4.1)"},
    {f::OSXSAVE, f::XSAVE, "OSXSAVE mirrors CR4.OSXSAVE, which needs XSAVE"},
    {f::XSAVEOPT, f::XSAVE, "an XSAVE extension (CPUID.(EAX=0DH,ECX=1))"},
    {f::XSAVEC, f::XSAVE, "an XSAVE extension (CPUID.(EAX=0DH,ECX=1))"},
    {f::XGETBV1, f::XSAVE, "XGETBV with ECX=1 reads XINUSE, an XSAVE notion"},
    {f::RDTSCP, f::TSC, "RDTSCP reads the time-stamp counter"},
    {f::SYSCALL, f::LM, "SYSCALL/SYSRET are reported for 64-bit mode only (Vol. 2 CPUID)"},
    {f::LAHF_LM, f::LM, "the bit reports LAHF/SAHF in 64-bit mode"},
    {f::CX16, f::CX8, "CMPXCHG16B widens CMPXCHG8B"},
    {f::SEP, f::MSR, "SYSENTER/SYSEXIT take their targets from the IA32_SYSENTER MSRs"},
    {f::MTRR, f::MSR, "the MTRRs are MSRs"},
    {f::PAT, f::MSR, "the PAT is IA32_PAT, an MSR"},
    {f::TSC_ADJUST, f::TSC, "IA32_TSC_ADJUST offsets the time-stamp counter"},
    {f::TSC_ADJUST, f::MSR, "IA32_TSC_ADJUST is an MSR"},
    {f::RDPID, f::RDTSCP, "RDPID reads IA32_TSC_AUX, which RDTSCP announces"},
    {f::ARCH_CAPABILITIES, f::MSR, "IA32_ARCH_CAPABILITIES is an MSR"},
    {f::CLFLUSHOPT, f::CLFSH, "CLFLUSHOPT takes the line size of CLFLUSH (leaf 1 EBX)"},
    {f::FSGSBASE, f::LM, "RD/WR{FS,GS}BASE exist in 64-bit mode only"},
    {f::X2APIC, f::APIC, "x2APIC mode is a mode of the local APIC"},
    {f::TSC_DEADLINE, f::APIC, "the TSC-deadline mode is a mode of the local APIC timer"},
    {f::INVARIANT_TSC, f::TSC, "the bit describes the time-stamp counter"},
    {f::HTT, f::APIC, "leaf 1 EBX[23:16] counts APIC IDs"},
    {f::MCA, f::MSR, "the machine-check banks are MSRs (SDM Vol. 3B §15.3)"},
    {f::MCA, f::MCE, "errors the banks log are signalled by #MC, enabled by CR4.MCE"},
    {f::VMX, f::MSR, "IA32_FEATURE_CONTROL and the VMX capability MSRs are MSRs (SDM Vol. 3C §24.7, App. A)"},
    {f::VMX, f::LM, "vtlab's VMX reports a 64-bit host (IA32_VMX_BASIC[48] = 0, host address-space size)"},
    {f::VMX, f::PAE, "VMX operation has CR0.PG = 1; 64-bit and PAE hosts and guests need PAE paging"},
};

constexpr IsaFeature kIsaFeatures[] = {
    {ZYDIS_ISA_EXT_BASE, ZYDIS_ISA_SET_INVALID, nullptr},
    {ZYDIS_ISA_EXT_PAUSE, ZYDIS_ISA_SET_INVALID, nullptr},  // a hint: a NOP before SSE2
    {ZYDIS_ISA_EXT_LONGMODE, ZYDIS_ISA_SET_INVALID, &f::LM},
    {ZYDIS_ISA_EXT_SSE, ZYDIS_ISA_SET_INVALID, &f::SSE},
    {ZYDIS_ISA_EXT_SSE2, ZYDIS_ISA_SET_INVALID, &f::SSE2},
    {ZYDIS_ISA_EXT_SSE3, ZYDIS_ISA_SET_INVALID, &f::SSE3},
    {ZYDIS_ISA_EXT_SSSE3, ZYDIS_ISA_SET_INVALID, &f::SSSE3},
    {ZYDIS_ISA_EXT_INVALID, ZYDIS_ISA_SET_SSE4, &f::SSE4_1},
    {ZYDIS_ISA_EXT_INVALID, ZYDIS_ISA_SET_SSE42, &f::SSE4_2},
    {ZYDIS_ISA_EXT_AES, ZYDIS_ISA_SET_INVALID, &f::AES},
    {ZYDIS_ISA_EXT_PCLMULQDQ, ZYDIS_ISA_SET_INVALID, &f::PCLMULQDQ},
    {ZYDIS_ISA_EXT_XSAVE, ZYDIS_ISA_SET_INVALID, &f::XSAVE},
    {ZYDIS_ISA_EXT_XSAVEOPT, ZYDIS_ISA_SET_INVALID, &f::XSAVEOPT},
    {ZYDIS_ISA_EXT_XSAVEC, ZYDIS_ISA_SET_INVALID, &f::XSAVEC},
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
    {ZYDIS_ISA_EXT_RDWRFSGS, ZYDIS_ISA_SET_INVALID, &f::FSGSBASE},
    {ZYDIS_ISA_EXT_RDPID, ZYDIS_ISA_SET_INVALID, &f::RDPID},
    {ZYDIS_ISA_EXT_RDRAND, ZYDIS_ISA_SET_INVALID, &f::RDRAND},
    {ZYDIS_ISA_EXT_RDSEED, ZYDIS_ISA_SET_INVALID, &f::RDSEED},
    {ZYDIS_ISA_EXT_CLFLUSHOPT, ZYDIS_ISA_SET_INVALID, &f::CLFLUSHOPT},
    {ZYDIS_ISA_EXT_CLWB, ZYDIS_ISA_SET_INVALID, &f::CLWB},
    {ZYDIS_ISA_EXT_MONITOR, ZYDIS_ISA_SET_INVALID, &f::MONITOR},
    {ZYDIS_ISA_EXT_VTX, ZYDIS_ISA_SET_INVALID, &f::VMX},
    // VMFUNC has no CPUID bit: IA32_VMX_PROCBASED_CTLS2[45] reports it, and
    // it is #UD unless enabled in non-root operation (cpu/vmx/instructions.cpp).
    {ZYDIS_ISA_EXT_VMFUNC, ZYDIS_ISA_SET_INVALID, &f::VMX},
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

namespace {

// The smallest power of two >= n, and its log2: APIC IDs are allocated in
// such fields (SDM Vol. 3A §10.4.8 hierarchical IDs).
u32 id_field_width(u32 n) {
  u32 w = 0;
  while ((u32(1) << w) < n) ++w;
  return w;
}

void fixed_leaf(u32 leaf, u32 subleaf, u32 out[4]) {
  const bool has_subleaves = leaf == 7 || leaf == 0xd;
  for (const Leaf& l : kLeaves) {
    if (l.leaf == leaf && (!has_subleaves || l.subleaf == subleaf)) {
      out[0] = l.eax, out[1] = l.ebx, out[2] = l.ecx, out[3] = l.edx;
      return;
    }
  }
}

void set_bit(u32 out[4], const CpuidBit& b, bool on) {
  if (on)
    out[unsigned(b.reg)] |= cpuid_bit_mask(b);
  else
    out[unsigned(b.reg)] &= ~cpuid_bit_mask(b);
}

}  // namespace

void cpuid_lookup(const CpuidContext& ctx, u32 leaf, u32 subleaf, u32 out[4]) {
  std::memset(out, 0, 4 * sizeof(u32));
  const u32 max_basic = ctx.limit_cpuid ? 2 : kMaxBasicLeaf;
  // Beyond the maximum basic and extended leaves: the highest basic leaf's
  // answer (SDM Vol. 2 CPUID, "If a value entered for CPUID.EAX is higher
  // than the maximum input value ...").
  if ((leaf > max_basic && leaf < 0x80000000) || leaf > kMaxExtendedLeaf) leaf = max_basic, subleaf = 0;
  const u32 core_bits = id_field_width(ctx.cpu_count);
  switch (leaf) {
    case 0:
      fixed_leaf(leaf, subleaf, out);
      out[0] = max_basic;
      return;
    case 1:
      fixed_leaf(leaf, subleaf, out);
      set_bit(out, feature::MONITOR, !ctx.monitor_disabled);
      out[1] |= ((u32(1) << core_bits) & 0xff) << 16 | (ctx.apic_id & 0xff) << 24;
      set_bit(out, feature::HTT, core_bits > 0);
      set_bit(out, feature::APIC, ctx.apic_enabled);
      set_bit(out, feature::X2APIC, ctx.apic_enabled && ctx.x2apic);
      set_bit(out, feature::TSC_DEADLINE, ctx.apic_enabled && ctx.tsc_deadline);
      return;
    case 4: {
      if (subleaf >= sizeof kCaches / sizeof *kCaches) return;  // type 0: no more caches
      const CacheLevel& k = kCaches[subleaf];
      const u32 sharing = k.shared ? (u32(1) << core_bits) - 1 : 0;
      out[0] = k.type | k.level << 5 | 1u << 8 | sharing << 14 | ((u32(1) << core_bits) - 1) << 26;
      out[1] = (k.ways - 1) << 22 | 63;
      out[2] = k.sets - 1;
      return;
    }
    case 0xb:
    case 0x1f:
      // x2APIC topology (SDM Vol. 3A §10.12.8; leaf 1FH, V2 extended
      // topology, lists the same two levels here): level 0 SMT (one thread
      // per core), level 1 core (every vCPU of the package), then invalid.
      out[3] = ctx.apic_id;
      if (subleaf == 0) {
        out[0] = 0, out[1] = 1, out[2] = 1u << 8;
      } else if (subleaf == 1) {
        out[0] = core_bits, out[1] = ctx.cpu_count, out[2] = 2u << 8 | 1;
      } else {
        out[2] = subleaf & 0xff;
      }
      return;
    case 0x15:
      // TSC frequency = crystal * EBX / EAX = insns_per_us MHz (one TSC tick
      // per tick of virtual time).
      out[0] = kCrystalHz / 1'000'000, out[1] = u32(ctx.insns_per_us), out[2] = kCrystalHz;
      return;
    case 0x16:
      out[0] = out[1] = u32(ctx.insns_per_us), out[2] = 100;  // base, maximum, bus MHz
      return;
    case 5:
      if (!ctx.monitor_disabled) fixed_leaf(leaf, subleaf, out);  // nothing to enumerate without MONITOR
      return;
    default:
      fixed_leaf(leaf, subleaf, out);
      if (leaf == 0x80000001 && ctx.xd_disable) set_bit(out, feature::NX, false);
      return;
  }
}

void cpuid_lookup(u32 leaf, u32 subleaf, u32 out[4]) { cpuid_lookup(CpuidContext{}, leaf, subleaf, out); }

std::span<const CpuidRequirement> cpuid_requirements() { return kRequirements; }
std::span<const IsaFeature> isa_features() { return kIsaFeatures; }
std::span<const Cr4Feature> cr4_features() { return kCr4Features; }

}  // namespace vtlab
