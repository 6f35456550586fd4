// Choosing a handler by operand size and form at decode time (the forms,
// `source` and `FormDest` are in common.h).
#pragma once
#include <array>

#include "cpu/handlers/common.h"

namespace vtlab {

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
