// The VM-exit instruction-information field and the exit qualification of
// instructions with a memory operand (SDM Vol. 3C §28.2.5, Tables 28-10 to
// 28-14; §28.2.1 Table 28-1: the qualification is the displacement).
#pragma once
#include "cpu/insn.h"

namespace vtlab::vmx {

// Scaling (1:0), address size (9:7), segment (17:15), index (21:18, 22
// invalid), base (26:23, 27 invalid) of the memory operand; or, when
// operand `rm` is a register, bit 10 and the register in 6:3 (the
// VMREAD/VMWRITE, LLDT/LTR/SLDT/STR, RDRAND layouts). `reg2` (31:28): the
// instruction's other register operand, or -1.
inline u32 instruction_info(const Insn& i, int rm, int reg2) {
  u32 info = 0;
  const unsigned asize = i.asize == 2 ? 0 : i.asize == 4 ? 1 : 2;
  if (rm >= 0 && i.op[rm].kind != OpKind::Mem && i.op[rm].kind != OpKind::None) {
    info |= 1u << 10 | u32(i.op[rm].reg & 0xf) << 3;
  } else {
    info |= i.mem.scale & 3u;
    info |= u32(i.mem.seg & 7) << 15;
    if (i.mem.index == kNoReg)
      info |= 1u << 22;
    else
      info |= u32(i.mem.index & 0xf) << 18;
    if (i.mem.base == kNoReg || i.mem.base == kRipReg)
      info |= 1u << 27;
    else
      info |= u32(i.mem.base & 0xf) << 23;
  }
  info |= asize << 7;
  if (reg2 >= 0) info |= u32(i.op[reg2].reg & 0xf) << 28;
  return info;
}

// The exit qualification of instructions with a memory operand: its
// displacement, sign-extended (0 for a register operand).
inline u64 displacement(const Insn& i, int rm) {
  if (rm >= 0 && i.op[rm].kind != OpKind::Mem) return 0;
  return u64(i.mem.disp);
}

}  // namespace vtlab::vmx
