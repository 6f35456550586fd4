// Shared by the handler groups: the Cpu, the tables and small helpers for
// the patterns every group uses.
#pragma once
#include <Zydis/Zydis.h>

#include "cpu/cpu.h"
#include "cpu/dispatch.h"
#include "cpu/insn_table.h"

namespace vtlab {

// A destination operand resolved once: register or memory (linear address
// computed and checked once). Read-modify-write handlers write it before
// they update flags, so a faulting write leaves no trace (precise faults).
template <unsigned S>
class Dest {
 public:
  using T = uint_t<S>;
  Dest(Cpu& c, const Insn& i, Access acc = Access::Write) : c_(c), op_(i.op[0]) {
    if (op_.kind == OpKind::Mem) lin_ = c.mem_linear(i, S, acc);
  }
  T get() const { return op_.kind == OpKind::Mem ? c_.read_lin<T>(lin_) : c_.read_reg<S>(op_); }
  void set(T v) {
    if (op_.kind == OpKind::Mem)
      c_.write_lin<T>(lin_, v);
    else
      c_.write_reg<S>(op_, v);
  }
  bool is_mem() const { return op_.kind == OpKind::Mem; }
  u64 linear() const { return lin_; }

 private:
  Cpu& c_;
  const Operand& op_;
  u64 lin_ = 0;
};

template <unsigned S>
constexpr u64 sign_bit() {
  return u64(1) << (S * 8 - 1);
}

// Flags computed eagerly: PF/ZF/SF of a result.
template <unsigned S>
u64 szp_flags(uint_t<S> r) {
  u64 f = 0;
  if (r == 0) f |= fl::ZF;
  if (r & sign_bit<S>()) f |= fl::SF;
  if (!__builtin_parity(unsigned(r & 0xff))) f |= fl::PF;
  return f;
}

// A far pointer m16:16 / m16:32 / m16:64 in memory: the offset (`size`
// bytes), then the selector (far JMP/CALL, LDS family).
struct FarPointer {
  u16 selector;
  u64 offset;
};
inline FarPointer read_far_pointer(Cpu& c, const Insn& i, unsigned size) {
  u64 lin = c.mem_linear(i, size + 2, Access::Read);  // checks the whole pointer
  u64 off = size == 8 ? c.read_lin<u64>(lin) : size == 4 ? c.read_lin<u32>(lin) : c.read_lin<u16>(lin);
  u16 sel = c.read_lin<u16>(c.linear(i.mem.seg, c.effective_address(i) + size, 2, Access::Read));
  return {sel, off};
}

// Size of the current instruction's counter/pointer registers (rCX, rSI,
// rDI): the address size.
inline u64 asize_mask(const Insn& i) {
  return i.asize == 8 ? ~u64(0) : i.asize == 4 ? 0xffffffffull : 0xffffull;
}
inline void write_masked(Cpu& c, unsigned reg, u64 v, const Insn& i) {
  if (i.asize == 8)
    c.gpr[reg] = v;
  else if (i.asize == 4)
    c.gpr[reg] = u32(v);
  else
    c.gpr[reg] = (c.gpr[reg] & ~0xffffull) | (v & 0xffff);
}

}  // namespace vtlab
