// x87 comparisons: FCOM/FCOMP/FCOMPP, FUCOM/FUCOMP/FUCOMPP, FICOM/FICOMP,
// FCOMI/FCOMIP/FUCOMI/FUCOMIP, FTST, FXAM (SDM Vol. 2, each instruction).
#include "cpu/x87/arith.h"
#include "cpu/x87/fpu.h"
#include "cpu/x87/operands.h"

namespace vtlab::x87 {
namespace {

// C3, C2, C0 of a comparison (C1 = 0).
void set_order(Cpu& c, Order o) {
  set_cc(c, o == Order::Less || o == Order::Unordered, false, o == Order::Unordered,
         o == Order::Equal || o == Order::Unordered);
}

// Applies a comparison's outcome: the flags, the condition codes (or
// EFLAGS), and whether the pops may happen. An unmasked #IA leaves C3 C2
// C0 (ZF PF CF) as they were ("set only if the exception is masked", SDM
// Vol. 2 FCOM, FCOMI); C1 is set to 0 and FCOMI clears OF, SF and AF
// regardless ("FPU Flags Affected"; AMD leaves C1 alone in FCOMI: vendor
// rule @x87-fcomi-c1). An unmasked #D still sets them (the SDM is silent;
// as this CPU does). Neither pops.
template <bool Eflags>
bool finish_compare(Cpu& c, const Compared& r) {
  raise_flags(c, r.flags);
  set_c1(c, false);
  const u8 unmasked = r.flags & ~c.x87.fcw & (ex::IE | ex::DE);
  if constexpr (Eflags) {
    u64 f = 0;
    const Order o = r.order;
    if (o == Order::Less || o == Order::Unordered) f |= fl::CF;
    if (o == Order::Equal || o == Order::Unordered) f |= fl::ZF;
    if (o == Order::Unordered) f |= fl::PF;
    if (unmasked & ex::IE)
      c.flags.set_arith(fl::OF | fl::SF | fl::AF, 0);
    else
      c.flags.set_arith(fl::kArith, f);
  } else if (!(unmasked & ex::IE)) {
    set_order(c, r.order);
  }
  return !unmasked;
}

// An empty operand: stack underflow (#IS, C1 = 0); masked, the comparison
// is unordered; unmasked, only FCOMI's OF, SF, AF change (cleared).
template <bool Eflags>
bool underflow(Cpu& c) {
  if (!stack_fault(c, false)) {
    if constexpr (Eflags) c.flags.set_arith(fl::OF | fl::SF | fl::AF, 0);
    return false;
  }
  if constexpr (Eflags)
    c.flags.set_arith(fl::kArith, fl::ZF | fl::PF | fl::CF);
  else
    set_cc(c, true, false, true, true);
  return true;
}

// FCOM/FCOMP/FUCOM/FUCOMP with ST(i), FCOMPP/FUCOMPP (Pops = 2), and the
// EFLAGS forms FCOMI/FCOMIP/FUCOMI/FUCOMIP.
template <bool Quiet, unsigned Pops, bool Eflags>
void compare_reg(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const unsigned s = i.nops ? i.op[i.nops - 1].reg : 1;
  bool done;
  if (empty(c, 0) || empty(c, s))
    done = underflow<Eflags>(c);
  else
    done = finish_compare<Eflags>(c, compare(st(c, 0), st(c, s), Quiet));
  if (done)
    for (unsigned k = 0; k < Pops; ++k) pop(c);
  record_pointers(c, i);
}

// FCOM/FCOMP m32fp/m64fp, FICOM/FICOMP m16int/m32int.
template <MemType M, bool Pop>
void compare_mem(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const MemOperand m = read_mem_operand<M>(c, i);
  bool done;
  if (empty(c, 0))
    done = underflow<false>(c);
  else
    done = finish_compare<false>(c, compare(st(c, 0), m.v, false, m.denormal));
  if (done && Pop) pop(c);
  record_pointers(c, i);
}

template <bool Pop>
ChainedHandler select_fcom(const Insn& i) {
  if (i.op[0].kind == OpKind::Mem)
    return i.op[0].size == 8 ? VTLAB_H((compare_mem<MemType::F64, Pop>)) : VTLAB_H((compare_mem<MemType::F32, Pop>));
  return VTLAB_H((compare_reg < false, Pop ? 1 : 0, false >));
}
template <bool Pop>
ChainedHandler select_ficom(const Insn& i) {
  return i.op[0].size == 2 ? VTLAB_H((compare_mem<MemType::I16, Pop>)) : VTLAB_H((compare_mem<MemType::I32, Pop>));
}

// FTST: ST(0) against +0.0.
void ftst(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  if (empty(c, 0))
    underflow<false>(c);
  else
    finish_compare<false>(c, compare(st(c, 0), zero(false), false));
  record_pointers(c, i);
}

// FXAM: the class of ST(0) in C3, C2, C0 and its sign in C1 (SDM Vol. 2
// FXAM table); never an exception, an empty register included.
void fxam(Cpu& c, const Insn& i) {
  if (!begin(c, true)) return;
  const F80 v = st(c, 0);
  unsigned code;  // C3 C2 C0
  if (empty(c, 0)) {
    code = 0b101;
  } else {
    switch (classify(v)) {
      case Cls::Unsupported:
        code = 0b000;
        break;
      case Cls::QNaN:
      case Cls::SNaN:
        code = 0b001;
        break;
      case Cls::Normal:
        code = 0b010;
        break;
      case Cls::Inf:
        code = 0b011;
        break;
      case Cls::Zero:
        code = 0b100;
        break;
      default:
        code = 0b110;
        break;  // denormal
    }
  }
  set_cc(c, code & 1, v.sign(), code & 2, code & 4);
  record_pointers(c, i);
}

#define SEL(MN, sel) \
  InsnRow { ZYDIS_MNEMONIC_##MN, {}, 0, SizeFrom::Op0, &sel }
#define ONE(MN, ...) \
  InsnRow { ZYDIS_MNEMONIC_##MN, VTLAB_ONE((__VA_ARGS__)) }

const InsnRow kRows[] = {
    SEL(FCOM, select_fcom<false>),
    SEL(FCOMP, select_fcom<true>),
    ONE(FCOMPP, compare_reg<false, 2, false>),
    ONE(FUCOM, compare_reg<true, 0, false>),
    ONE(FUCOMP, compare_reg<true, 1, false>),
    ONE(FUCOMPP, compare_reg<true, 2, false>),
    SEL(FICOM, select_ficom<false>),
    SEL(FICOMP, select_ficom<true>),
    ONE(FCOMI, compare_reg<false, 0, true>),
    ONE(FCOMIP, compare_reg<false, 1, true>),
    ONE(FUCOMI, compare_reg<true, 0, true>),
    ONE(FUCOMIP, compare_reg<true, 1, true>),
    ONE(FTST, ftst),
    ONE(FXAM, fxam),
};

}  // namespace

std::span<const InsnRow> compare_rows() { return kRows; }

}  // namespace vtlab::x87
