// What the MMX handlers share (cpu/handlers/mmx_*.cpp): the availability
// checks, the MMX registers as the low 64 bits of the x87 data registers,
// the x87-to-MMX transition, and lane views of a 64-bit value.
#pragma once
#include <array>
#include <cstring>

#include "cpu/x87/fpu.h"

namespace vtlab::x87 {

// #UD if CR0.EM, #NM if CR0.TS, then a pending x87 exception: #MF, or the
// FERR# path with CR0.NE=0 (SDM Vol. 3A §12.5 "MMX instructions", Table
// 22-?; Vol. 1 §9.5.1). False: frozen before the instruction.
[[nodiscard]] inline bool begin_mmx(Cpu& c) {
  if (c.cr0 & cr0::EM) c.raise(kUD);
  if (c.cr0 & cr0::TS) c.raise(kNM);
  return check_pending(c);
}

// Every MMX instruction but EMMS: TOP = 0 and every tag valid (SDM Vol. 1
// §9.5, Table 9-2). Done when the instruction completes.
inline void mmx_transition(Cpu& c) {
  set_top(c, 0);
  c.x87.tags = 0xff;
}

inline u64 mm(const Cpu& c, unsigned r) { return c.x87.r[r & 7].sig; }
// Writing an MMX register sets the exponent/sign field to all ones (§9.5).
inline void set_mm(Cpu& c, unsigned r, u64 v) { c.x87.r[r & 7] = F80{v, 0xffff}; }

// Operand n as 64 bits: an MMX register, or memory of the operand's size
// (8, 4 or 2 bytes) zero-extended. No alignment requirement.
inline u64 mm_src(Cpu& c, const Insn& i, int n) {
  const Operand& o = i.op[n];
  if (o.kind == OpKind::Mmx) return mm(c, o.reg);
  switch (o.size) {
    case 4:
      return c.read_lin<u32>(c.mem_linear(i, 4, Access::Read));
    case 2:
      return c.read_lin<u16>(c.mem_linear(i, 2, Access::Read));
    default:
      return c.read_lin<u64>(c.mem_linear(i, 8, Access::Read));
  }
}

template <typename T>
using Lanes64 = std::array<T, 8 / sizeof(T)>;
template <typename T>
Lanes64<T> lanes64(u64 v) {
  Lanes64<T> l;
  std::memcpy(l.data(), &v, 8);
  return l;
}
template <typename T>
u64 pack64(const Lanes64<T>& l) {
  u64 v;
  std::memcpy(&v, l.data(), 8);
  return v;
}

}  // namespace vtlab::x87
