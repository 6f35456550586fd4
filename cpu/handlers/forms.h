// Operand forms chosen at decode time, so the hottest handlers (MOV, the
// ALU group) read and write their operands without switching on operand
// kinds at run time. `Form::Any` keeps the general path (AH..BH, ...).
#pragma once
#include <array>

#include "cpu/handlers/common.h"

namespace vtlab {

// Destination, source: R = general register, M = memory, I = immediate.
enum class Form : u8 { Any, RR, RM, MR, RI, MI };
inline constexpr unsigned kNumForms = 6;

inline Form form_of(const Insn& i) {
  const OpKind d = i.op[0].kind, s = i.op[1].kind;
  if (d == OpKind::Gpr) {
    if (s == OpKind::Gpr) return Form::RR;
    if (s == OpKind::Mem) return Form::RM;
    if (s == OpKind::Imm) return Form::RI;
  } else if (d == OpKind::Mem) {
    if (s == OpKind::Gpr) return Form::MR;
    if (s == OpKind::Imm) return Form::MI;
  }
  return Form::Any;
}

template <unsigned S, Form F>
[[gnu::always_inline]] inline uint_t<S> source(Cpu& c, const Insn& i) {
  if constexpr (F == Form::RR || F == Form::MR) return uint_t<S>(c.gpr[i.op[1].reg]);
  else if constexpr (F == Form::RI || F == Form::MI) return uint_t<S>(i.imm);
  else if constexpr (F == Form::RM) return c.read_lin<uint_t<S>>(c.mem_linear(i, S, Access::Read));
  else return c.read_op<S>(i, 1);
}

// Dest<S> with the operand kind known at compile time.
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

// Picks Impl::run<S, F> (wrapped for threaded dispatch) by operand size
// and form. Impl is a struct with `template <unsigned S, Form F> static
// void run(Cpu&, const Insn&)`.
template <typename Impl, unsigned S>
constexpr std::array<ChainedHandler, kNumForms> handlers_by_form() {
  return {VTLAB_H(Impl::template run<S, Form::Any>), VTLAB_H(Impl::template run<S, Form::RR>),
          VTLAB_H(Impl::template run<S, Form::RM>),  VTLAB_H(Impl::template run<S, Form::MR>),
          VTLAB_H(Impl::template run<S, Form::RI>),  VTLAB_H(Impl::template run<S, Form::MI>)};
}

template <typename Impl>
ChainedHandler select_by_size_and_form(const Insn& i) {
  static constexpr std::array<std::array<ChainedHandler, kNumForms>, 4> table = {
      handlers_by_form<Impl, 1>(), handlers_by_form<Impl, 2>(), handlers_by_form<Impl, 4>(),
      handlers_by_form<Impl, 8>()};
  unsigned size = i.op[0].size;
  unsigned idx = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
  return table[idx][unsigned(form_of(i))];
}

}  // namespace vtlab
