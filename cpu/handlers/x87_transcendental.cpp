// x87 transcendental instructions: F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN,
// FCOS, FSINCOS, FPTAN (SDM Vol. 2; the values: cpu/x87/transcendental.h).
#include "cpu/x87/fpu.h"
#include "cpu/x87/transcendental.h"

namespace vtlab::x87 {
namespace {

// ST(0) = F2XM1(ST(0)).
void f2xm1_insn(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  if (empty(c, 0)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
  } else {
    const Result r = f2xm1(st(c, 0), env(c));
    raise_flags(c, r.flags);
    set_c1(c, r.write && r.c1);
    if (r.write) set_st(c, 0, r.v);
  }
  record_pointers(c, i);
}

// ST(1) = F(ST(0), ST(1)), then pop: FYL2X, FYL2XP1, FPATAN.
template <Result (*F)(F80, F80, const Env&)>
void binary_pop(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  if (empty(c, 0) || empty(c, 1)) {
    if (!stack_fault(c, false)) return record_pointers(c, i);
    set_st(c, 1, kIndefinite);
  } else {
    const Result r = F(st(c, 0), st(c, 1), env(c));
    raise_flags(c, r.flags);
    set_c1(c, r.write && r.c1);
    if (!r.write) return record_pointers(c, i);
    set_st(c, 1, r.v);
  }
  pop(c);
  record_pointers(c, i);
}

// FSIN, FCOS (ST(0) replaced), FPTAN (ST(0) = tan, then push 1.0),
// FSINCOS (ST(0) = sine, then push the cosine). C2 = 1: out of range,
// nothing changed.
template <TrigOp Op>
void trig_insn(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  constexpr bool kPushes = Op == TrigOp::Tan || Op == TrigOp::SinCos;
  if (empty(c, 0) || (kPushes && !empty(c, 7))) {
    // Underflow, or (FPTAN/FSINCOS) no room for the second result.
    if (stack_fault(c, !empty(c, 0))) {
      set_st(c, 0, kIndefinite);
      if (kPushes) push(c, kIndefinite);
    }
    c.x87.fsw &= u16(~sw::C2);
    return record_pointers(c, i);
  }
  const Trig t = trig(Op, st(c, 0), env(c));
  raise_flags(c, t.flags);
  c.x87.fsw = u16(t.out_of_range ? c.x87.fsw | sw::C2 : c.x87.fsw & ~sw::C2);
  set_c1(c, t.write && t.c1);
  if (t.write) {
    set_st(c, 0, t.first);
    if (kPushes) push(c, t.second);
  }
  record_pointers(c, i);
}

#define ONE(MN, ...) \
  InsnRow { ZYDIS_MNEMONIC_##MN, VTLAB_ONE((__VA_ARGS__)) }

const InsnRow kRows[] = {
    ONE(F2XM1, f2xm1_insn),
    ONE(FYL2X, binary_pop<&fyl2x>),
    ONE(FYL2XP1, binary_pop<&fyl2xp1>),
    ONE(FPATAN, binary_pop<&fpatan>),
    ONE(FSIN, trig_insn<TrigOp::Sin>),
    ONE(FCOS, trig_insn<TrigOp::Cos>),
    ONE(FSINCOS, trig_insn<TrigOp::SinCos>),
    ONE(FPTAN, trig_insn<TrigOp::Tan>),
};

}  // namespace

std::span<const InsnRow> transcendental_rows() { return kRows; }

}  // namespace vtlab::x87
