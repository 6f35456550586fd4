// The compact decoded-instruction record (DESIGN: decode once). Zydis output
// is turned into this at block-build time; handlers read only this.
#pragma once
#include "core/base/types.h"

namespace vtlab {

class Cpu;
struct Insn;
using Handler = void (*)(Cpu&, const Insn&);

enum class OpKind : u8 {
  None,
  Gpr,      // reg = 0..15
  GprHigh,  // AH/CH/DH/BH: reg = 0..3 (the register whose bits 15:8 are meant)
  Seg,      // reg = SegReg
  Cr,       // reg = control register number
  Dr,       // reg = debug register number
  Xmm,      // reg = 0..15
  Mem,      // the instruction's one memory operand, see Insn::mem
  Imm,      // Insn::imm (second immediate: Insn::imm2)
  Rel,      // relative branch: target = next RIP + Insn::imm
  FarPtr,   // ptr16:16/32: selector in imm2, offset in imm
  St,       // x87 stack register ST(reg), reg = 0..7
  Mmx,      // MMX register MM(reg), reg = 0..7
};

struct Operand {
  OpKind kind = OpKind::None;
  u8 reg = 0;
  u8 size = 0;  // bytes
};

inline constexpr u8 kNoReg = 0xff;
inline constexpr u8 kRipReg = 16;

struct MemRef {
  u8 base = kNoReg;   // GPR, kRipReg, or kNoReg
  u8 index = kNoReg;
  u8 scale = 0;       // shift count 0..3
  u8 seg = 3;         // effective segment (SegReg), defaults already applied
  i64 disp = 0;
};

struct Insn {
  Handler fn = nullptr;
  u64 imm = 0;   // sign-extended to the operand size where the encoding says so
  u64 imm2 = 0;  // x87 instructions (D8-DF): the FOP value (SDM Vol. 1 §8.1.9)
  MemRef mem;
  Operand op[4];
  u16 mnemonic = 0;  // ZydisMnemonic, for the debugger and error messages
  u8 len = 0;
  u8 opsize = 0;     // effective operand size in bytes
  u8 asize = 0;      // effective address size in bytes
  u8 nops = 0;       // visible operands
  u8 rep = 0;        // 0 none, 1 REP/REPE, 2 REPNE
  bool lock = false;
  bool far_branch = false;  // far JMP/CALL/RET
  u8 cc = 0;         // condition code for Jcc/SETcc/CMOVcc
  u8 attrs = 0;      // InsnAttr bits
};

// Per-row attributes from the instruction tables.
namespace attr {
inline constexpr u8 kEndsBlock = 1,   // control transfer or state change: block ends after it
    kLockable = 2,                    // LOCK prefix allowed with a memory destination
    kPrivileged = 4,                  // CPL 0 only (#GP(0) otherwise)
    kUnimplemented = 8;               // valid encoding vtlab does not implement (raises #UD)
}

}  // namespace vtlab
