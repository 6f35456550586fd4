// x87 arithmetic: FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR in every operand form
// (m32, m64, ST(0) op ST(i), ST(i) op ST(0), the popping forms) and their
// integer forms FIADD... (m16, m32); FSQRT, FABS, FCHS, FRNDINT, FSCALE,
// FXTRACT, FPREM, FPREM1 (SDM Vol. 2, each instruction; Vol. 1 §8.3).
#include "cpu/x87/arith.h"
#include "cpu/x87/convert.h"
#include "cpu/x87/fpu.h"
#include "cpu/x87/operands.h"

namespace vtlab::x87 {
namespace {

enum class Op : u8 { Add, Mul, Sub, SubR, Div, DivR };

Result apply(Op op, F80 dst, F80 src, const Env& e, bool src_denormal) {
  switch (op) {
    case Op::Add:
      return add(dst, src, e, src_denormal);
    case Op::Mul:
      return mul(dst, src, e, src_denormal);
    case Op::Sub:
      return sub(dst, src, e, src_denormal);
    case Op::SubR:
      return sub(src, dst, e, src_denormal);
    case Op::Div:
      return div(dst, src, e, src_denormal);
    case Op::DivR:
      return div(src, dst, e, src_denormal);
  }
  return {};
}

// Writes an arithmetic result to ST(d): flags, C1 (rounded up; 0 when
// nothing is written), and the value unless an unmasked pre-computation
// exception stopped it.
void complete(Cpu& c, unsigned d, const Result& r) {
  raise_flags(c, r.flags);
  set_c1(c, r.write && r.c1);
  if (r.write) set_st(c, d, r.v);
}

// ST(0) = ST(0) op memory operand (m32fp, m64fp, m16int, m32int).
template <Op O, MemType M>
void arith_mem(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const MemOperand m = read_mem_operand<M>(c, i);
  if (empty(c, 0)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
  } else {
    complete(c, 0, apply(O, st(c, 0), m.v, env(c, true), m.denormal));
  }
  record_pointers(c, i);
}

// ST(d) = ST(d) op ST(s) (d, s from the operands), then pop for the P forms.
template <Op O, bool Pop>
void arith_reg(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const unsigned d = i.op[0].reg, s = i.op[1].reg;
  if (empty(c, d) || empty(c, s)) {
    if (!stack_fault(c, false)) return record_pointers(c, i);
    set_st(c, d, kIndefinite);
  } else {
    const Result r = apply(O, st(c, d), st(c, s), env(c, true), false);
    complete(c, d, r);
    if (!r.write) return record_pointers(c, i);
  }
  if (Pop) pop(c);
  record_pointers(c, i);
}

template <Op O, bool Pop>
ChainedHandler select_arith(const Insn& i) {
  if (i.op[0].kind == OpKind::Mem) {
    if (Pop) return nullptr;
    return i.op[0].size == 8 ? VTLAB_H(arith_mem<O, MemType::F64>) : VTLAB_H(arith_mem<O, MemType::F32>);
  }
  return VTLAB_H(arith_reg<O, Pop>);
}

template <Op O>
ChainedHandler select_int_arith(const Insn& i) {
  return i.op[0].size == 2 ? VTLAB_H(arith_mem<O, MemType::I16>) : VTLAB_H(arith_mem<O, MemType::I32>);
}

// One-operand instructions on ST(0): the result replaces it.
template <Result (*F)(F80, const Env&)>
void unary(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  if (empty(c, 0)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
  } else {
    complete(c, 0, F(st(c, 0), env(c, F == &sqrt)));
  }
  record_pointers(c, i);
}

// FABS/FCHS change only the sign; no exception but a stack underflow.
template <bool Chs>
void sign_op(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  if (empty(c, 0)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
  } else {
    set_c1(c, false);
    set_st(c, 0, Chs ? negate(st(c, 0)) : abs(st(c, 0)));
  }
  record_pointers(c, i);
}

// FSCALE: ST(0) = ST(0) * 2^trunc(ST(1)).
void fscale(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  if (empty(c, 0) || empty(c, 1)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
  } else {
    complete(c, 0, scale(st(c, 0), st(c, 1), env(c)));
  }
  record_pointers(c, i);
}

// FXTRACT: ST(0) = exponent, then push the significand. A full stack is
// an overflow (the push has no room).
void fxtract(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  if (empty(c, 0)) {
    if (stack_fault(c, false)) {
      set_st(c, 0, kIndefinite);
      push(c, kIndefinite);
    }
  } else if (!empty(c, 7)) {
    if (stack_fault(c, true)) {
      set_st(c, 0, kIndefinite);
      push(c, kIndefinite);
    }
  } else {
    const Extracted x = extract(st(c, 0), env(c));
    raise_flags(c, x.flags);
    set_c1(c, false);
    if (x.write) {
      set_st(c, 0, x.exponent);
      push(c, x.significand);
    }
  }
  record_pointers(c, i);
}

// FPREM/FPREM1: ST(0) = partial remainder of ST(0) / ST(1); C2 = 1 while
// incomplete; C0, C3, C1 = quotient bits 2, 1, 0 of a complete reduction.
// A partial reduction clears C0, C3 and C1; an exception (a NaN or invalid
// operand) clears C2 and C1 and leaves C0 and C3 as they were (as this CPU
// does; the SDM gives no values for those cases).
template <bool Ieee>
void fprem(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  if (empty(c, 0) || empty(c, 1)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
  } else {
    const Remainder r = remainder(st(c, 0), st(c, 1), Ieee, env(c));
    raise_flags(c, r.flags);
    if (r.write) set_st(c, 0, r.v);
    if (r.write && r.computed)
      set_cc(c, r.q & 4, r.q & 1, !r.complete, r.q & 2);  // partial: q = 0
    else
      c.x87.fsw &= u16(~(sw::C1 | sw::C2));
  }
  record_pointers(c, i);
}

#define ARITH_ROWS(MN, OP)                                                                    \
  InsnRow{ZYDIS_MNEMONIC_##MN, {}, 0, SizeFrom::Op0, &select_arith<Op::OP, false>}, InsnRow { \
    ZYDIS_MNEMONIC_##MN##P, {}, 0, SizeFrom::Op0, &select_arith<Op::OP, true>                 \
  }
#define INT_ROW(MN, OP) \
  InsnRow { ZYDIS_MNEMONIC_##MN, {}, 0, SizeFrom::Op0, &select_int_arith<Op::OP> }
#define ONE_ROW(MN, fn) \
  InsnRow { ZYDIS_MNEMONIC_##MN, VTLAB_ONE(fn) }

const InsnRow kRows[] = {
    ARITH_ROWS(FADD, Add),         ARITH_ROWS(FMUL, Mul),
    ARITH_ROWS(FSUB, Sub),         ARITH_ROWS(FSUBR, SubR),
    ARITH_ROWS(FDIV, Div),         ARITH_ROWS(FDIVR, DivR),
    INT_ROW(FIADD, Add),           INT_ROW(FIMUL, Mul),
    INT_ROW(FISUB, Sub),           INT_ROW(FISUBR, SubR),
    INT_ROW(FIDIV, Div),           INT_ROW(FIDIVR, DivR),
    ONE_ROW(FSQRT, unary<&sqrt>),  ONE_ROW(FRNDINT, unary<&round_to_int>),
    ONE_ROW(FABS, sign_op<false>), ONE_ROW(FCHS, sign_op<true>),
    ONE_ROW(FSCALE, fscale),       ONE_ROW(FXTRACT, fxtract),
    ONE_ROW(FPREM, fprem<false>),  ONE_ROW(FPREM1, fprem<true>),
};

}  // namespace

std::span<const InsnRow> arith_rows() { return kRows; }

}  // namespace vtlab::x87
