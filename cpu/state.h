// Architectural state of one x86-64 logical processor.
#pragma once
#include "core/base/types.h"
#include "cpu/x87/float80.h"

namespace vtlab {

enum Gpr : u8 { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
enum SegReg : u8 { ES, CS, SS, DS, FS, GS, kNumSegs };

// RFLAGS bits.
namespace fl {
inline constexpr u64 CF = 1 << 0, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, TF = 1 << 8, IF = 1 << 9,
                     DF = 1 << 10, OF = 1 << 11, IOPL = 3 << 12, NT = 1 << 14, RF = 1 << 16, VM = 1 << 17, AC = 1 << 18,
                     VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21;
inline constexpr u64 kArith = CF | PF | AF | ZF | SF | OF;
inline constexpr u64 kFixed1 = 1 << 1;  // bit 1 always reads as 1
}  // namespace fl

// Segment access rights in the VMCS layout (SDM Vol. 3C §24.4.1), so the same
// value can later be stored into and loaded from a VMCS unchanged.
namespace ar {
inline constexpr u32 kTypeMask = 0xf, S = 1 << 4, kDplShift = 5, P = 1 << 7, AVL = 1 << 12, L = 1 << 13, DB = 1 << 14,
                     G = 1 << 15, Unusable = 1 << 16;
inline constexpr u32 kTypeAccessed = 1, kTypeWritable = 2, kTypeExpandDown = 4, kTypeCode = 8, kTypeReadable = 2,
                     kTypeConforming = 4;
}  // namespace ar

struct Segment {
  u16 selector = 0;
  u64 base = 0;
  u32 limit = 0xffff;            // byte-granular, already scaled by G
  u32 attr = ar::P | ar::S | 3;  // access rights, VMCS layout
  unsigned dpl() const { return (attr >> ar::kDplShift) & 3; }
};

struct TableReg {
  u64 base = 0;
  u16 limit = 0xffff;
};

namespace cr0 {
inline constexpr u64 PE = 1, MP = 2, EM = 4, TS = 8, ET = 16, NE = 32, WP = 1 << 16, AM = 1 << 18, NW = 1 << 29,
                     CD = 1 << 30, PG = u64(1) << 31;
}
namespace cr4 {
inline constexpr u64 VME = 1, PVI = 2, TSD = 4, DE = 8, PSE = 16, PAE = 32, MCE = 64, PGE = 128, PCE = 256,
                     OSFXSR = 512, OSXMMEXCPT = 1024, UMIP = 2048, LA57 = 4096, VMXE = 8192, SMXE = 16384,
                     FSGSBASE = 1 << 16, PCIDE = 1 << 17, OSXSAVE = 1 << 18, SMEP = 1 << 20, SMAP = 1 << 21,
                     PKE = 1 << 22;
}
// DR6 status bits (SDM Vol. 3A §18.2.3) and DR7 controls (§18.2.4).
namespace dr6 {
inline constexpr u64 B0 = 1, BD = 1 << 13, BS = 1 << 14, BT = 1 << 15, kHits = 0xf;
inline constexpr u64 kFixed1 = 0xffff0ff0;  // reserved bits that read as 1 (bit 16: no RTM)
}  // namespace dr6
namespace dr7 {
inline constexpr u64 GD = 1 << 13, kEnables = 0xff;
}
namespace efer {
inline constexpr u64 SCE = 1, LME = 1 << 8, LMA = 1 << 10, NXE = 1 << 11;
}

// Trivial on purpose (no member initializers): SIMD code copies it with memcpy.
struct alignas(16) Xmm {
  u64 lo, hi;
};

// x87 FPU state (SDM Vol. 1 §8.1): the eight data registers R0-R7 (the MMX
// registers MM0-MM7 are their low 64 bits, §9.2.1), the control word, the
// status word (TOP in bits 13:11), the abridged tag word (bit i set: Ri is
// not empty; FSTENV/FSAVE derive the full tags from the contents, §8.1.7),
// and the last instruction's pointers and opcode (§8.1.8). The values are
// the power-on state (Vol. 3A §9.1.1, Table 9-1).
struct X87State {
  x87::F80 r[8] = {};
  u16 fcw = 0x0040;
  u16 fsw = 0;
  u8 tags = 0xff;  // FTW 5555H: every register valid (zero)
  u16 fop = 0;
  u64 fip = 0, fdp = 0;
  u16 fcs = 0, fds = 0;
  bool ferr = false;  // the FERR# output (CR0.NE=0 error reporting, cpu/x87/fpu.h)
};

// MSR values kept by the CPU (reset values and rules: cpu/msr_table.cpp).
struct MsrFile {
  u64 star = 0, lstar = 0, cstar = 0, sfmask = 0, kernel_gs_base = 0;
  u64 sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0;
  u64 pat = 0;
  u64 apic_base = 0;
  u64 misc_enable = 0;
  u64 tsc_aux = 0;
  u64 tsc_adjust = 0;
  u64 feature_control = 0;
  u64 debugctl = 0;
  u64 mtrr_def_type = 0;
  u64 mtrr_var[16] = {};    // PHYSBASE0, PHYSMASK0, ... PHYSMASK7
  u64 mtrr_fixed[11] = {};  // FIX64K_00000, FIX16K_80000/A0000, FIX4K_C0000..F8000
  u64 tsc_deadline = 0;
  u64 mcg_status = 0;
  u64 mc_ctl[10] = {};  // IA32_MCi_CTL of each machine-check bank (kMcBanks)
  u64 power_ctl = 0;
};

}  // namespace vtlab
