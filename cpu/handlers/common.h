// Shared by the handler groups: the Cpu, the tables and small helpers for
// the patterns every group uses.
#pragma once
#include <Zydis/Zydis.h>

#include "cpu/cpu.h"
#include "cpu/dispatch.h"
#include "cpu/insn_table.h"

namespace vtlab {

// Operand forms, chosen at decode time for the hottest handlers (MOV, the
// ALU group; cpu/handlers/forms.h picks them) so they read and write their
// operands without switching on operand kinds at run time. `Form::Any`
// keeps the general path (AH..BH, ...).
// Destination, source: R = general register, M = memory, I = immediate.
enum class Form : u8 { Any, RR, RM, MR, RI, MI };
inline constexpr unsigned kNumForms = 6;

template <unsigned S, Form F>
[[gnu::always_inline]] inline uint_t<S> source(Cpu& c, const Insn& i) {
  if constexpr (F == Form::RR || F == Form::MR) return uint_t<S>(c.gpr[i.op[1].reg]);
  else if constexpr (F == Form::RI || F == Form::MI) return uint_t<S>(i.imm);
  else if constexpr (F == Form::RM) return c.read_lin<uint_t<S>>(c.mem_linear(i, S, Access::Read));
  else return c.read_op<S>(i, 1);
}

// A destination operand resolved once (the linear address of a memory
// operand is computed and checked once). Read-modify-write handlers write it
// before they update flags, so a faulting write leaves no trace (precise
// faults).
template <unsigned S, Form F>
class FormDest {
 public:
  using T = uint_t<S>;
  static constexpr bool kMem = F == Form::MR || F == Form::MI;
  FormDest(Cpu& c, const Insn& i, Access acc = Access::Write) : c_(c), i_(i) {
    if constexpr (kMem) lin_ = c.mem_linear(i, S, acc);
    if constexpr (F == Form::Any)
      if (i.op[0].kind == OpKind::Mem) lin_ = c.mem_linear(i, S, acc);
  }
  T get() const {
    if constexpr (kMem) return c_.read_lin<T>(lin_);
    else if constexpr (F == Form::Any)
      return i_.op[0].kind == OpKind::Mem ? c_.read_lin<T>(lin_) : c_.read_reg<S>(i_.op[0]);
    else return T(c_.gpr[i_.op[0].reg]);
  }
  bool is_mem() const {
    if constexpr (F == Form::Any) return i_.op[0].kind == OpKind::Mem;
    return kMem;
  }
  void set(T v) {
    if constexpr (kMem) c_.write_lin<T>(lin_, v);
    else if constexpr (F == Form::Any) {
      if (i_.op[0].kind == OpKind::Mem) c_.write_lin<T>(lin_, v);
      else c_.write_reg<S>(i_.op[0], v);
    } else c_.write_gpr<S>(i_.op[0].reg, v);
  }

 private:
  Cpu& c_;
  const Insn& i_;
  u64 lin_ = 0;
};

// The general destination: the operand kind is looked at when run.
template <unsigned S>
using Dest = FormDest<S, Form::Any>;

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
