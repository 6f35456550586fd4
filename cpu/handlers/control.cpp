// Control transfer: JMP/Jcc/CALL/RET near and far, LOOP family, JrCXZ,
// INT n/INT3/INTO/INT1, IRET.
#include "cpu/handlers/common.h"

namespace vtlab {
namespace {

// Near branches: operand size 64 in 64-bit mode whatever the prefix (Intel).
unsigned branch_size(const Cpu& c, const Insn& i) { return c.long64() ? 8 : i.opsize; }

u64 near_target(Cpu& c, const Insn& i) {
  const Operand& o = i.op[0];
  if (o.kind == OpKind::Rel) return c.next_rip + i.imm;
  switch (branch_size(c, i)) {
    case 2:
      return c.read_op<2>(i, 0);
    case 4:
      return c.read_op<4>(i, 0);
    default:
      return c.read_op<8>(i, 0);
  }
}

void jmp_near(Cpu& c, const Insn& i) { c.branch_to(near_target(c, i), branch_size(c, i)); }

// One instantiation per condition so the flag test folds to a few instructions.
template <unsigned CC>
void jcc(Cpu& c, const Insn& i) {
  if (c.flags.cond(CC)) c.branch_to(c.next_rip + i.imm, branch_size(c, i));
}

void call_near(Cpu& c, const Insn& i) {
  unsigned s = branch_size(c, i);
  u64 target = near_target(c, i);
  u64 ret = c.next_rip;
  u64 old_next = c.next_rip;
  c.branch_to(target, s);  // checks the target before anything is pushed
  u64 new_next = c.next_rip;
  c.next_rip = old_next;
  if (s == 8)
    c.push<8>(ret);
  else if (s == 4)
    c.push<4>(u32(ret));
  else
    c.push<2>(u16(ret));
  c.next_rip = new_next;
}

void ret_near(Cpu& c, const Insn& i) {
  unsigned s = branch_size(c, i);
  u64 target = c.peek_sized(s, 0);
  c.branch_to(target, s);
  u64 release = i.op[0].kind == OpKind::Imm ? (i.imm & 0xffff) : 0;
  c.set_sp(c.gpr[RSP] + s + release);
}

// LOOP/LOOPE/LOOPNE and JCXZ/JECXZ/JRCXZ count in rCX of the address size.
template <int KIND>  // 0 LOOP, 1 LOOPE, 2 LOOPNE
void loop(Cpu& c, const Insn& i) {
  u64 mask = asize_mask(i);
  u64 count = (c.gpr[RCX] - 1) & mask;
  bool take = count != 0;
  if (KIND == 1) take = take && c.flags.zf();
  if (KIND == 2) take = take && !c.flags.zf();
  u64 target = c.next_rip + i.imm;
  if (take) c.branch_to(target, branch_size(c, i));
  write_masked(c, RCX, count, i);
}

void jrcxz(Cpu& c, const Insn& i) {
  if ((c.gpr[RCX] & asize_mask(i)) == 0) c.branch_to(c.next_rip + i.imm, branch_size(c, i));
}

// Far JMP/CALL: ptr16:xx immediate or m16:xx memory operand.
void far_target(Cpu& c, const Insn& i, u16& sel, u64& off) {
  if (i.op[0].kind == OpKind::FarPtr) {
    sel = u16(i.imm2);
    off = i.imm;
    return;
  }
  FarPointer p = read_far_pointer(c, i, i.opsize);
  sel = p.selector;
  off = p.offset;
}

// Far JMP/CALL/RET: the Cpu does the protection checks, gates and task
// switches (cpu/far_transfer.cpp). In 64-bit mode a far JMP/CALL's operand
// size is 4 or (REX.W) 8; the target offset of a direct code segment is
// sized by it.
void jmp_far(Cpu& c, const Insn& i) {
  u16 sel;
  u64 off;
  far_target(c, i, sel, off);
  c.far_jump(sel, off, i.opsize);
  c.end_block();
}

void call_far(Cpu& c, const Insn& i) {
  u16 sel;
  u64 off;
  far_target(c, i, sel, off);
  c.far_call(sel, off, i.opsize);
  c.end_block();
}

void ret_far(Cpu& c, const Insn& i) {
  c.far_return(i.opsize, i.op[0].kind == OpKind::Imm ? (i.imm & 0xffff) : 0);
  c.end_block();
}

// INT n in virtual-8086 mode is IOPL-sensitive or redirected (VME); INT3,
// INTO and INT1 are not (SDM Vol. 2 INT n).
void int_n(Cpu& c, const Insn& i) {
  if (c.v86()) return c.v86_software_interrupt(u8(i.imm));
  c.software_interrupt(u8(i.imm));
}
void int3(Cpu& c, const Insn&) { c.software_interrupt(kBP, true); }
void into(Cpu& c, const Insn&) {
  if (c.flags.of()) c.software_interrupt(kOF, true);
}
// INT1 (ICEBP, F1): a #DB delivered like a hardware trap, without the gate
// DPL check of INT n (SDM Vol. 2 INT n/INTO/INT3/INT1).
void int1(Cpu& c, const Insn&) { c.trap(kDB); }

void iret(Cpu& c, const Insn& i) { c.iret(i.opsize); }

// BOUND r, m16&16 / m32&32 (legacy modes): #BR unless lower <= index <= upper,
// all signed (SDM Vol. 2 BOUND).
template <unsigned S>
void bound(Cpu& c, const Insn& i) {
  u64 lin = c.mem_linear(i, 2 * S, Access::Read);
  sint_t<S> lower = sint_t<S>(c.read_lin<uint_t<S>>(lin));
  sint_t<S> upper = sint_t<S>(c.read_lin<uint_t<S>>(c.linear(i.mem.seg, c.effective_address(i) + S, S, Access::Read)));
  sint_t<S> index = sint_t<S>(c.read_reg<S>(i.op[0]));
  if (index < lower || index > upper) c.raise(kBR);
}

ChainedHandler select_jmp(const Insn& i) { return i.far_branch ? VTLAB_H(jmp_far) : VTLAB_BRANCH(jmp_near); }
ChainedHandler select_call(const Insn& i) { return i.far_branch ? VTLAB_H(call_far) : VTLAB_H(call_near); }
ChainedHandler select_ret(const Insn& i) { return i.far_branch ? VTLAB_H(ret_far) : VTLAB_H(ret_near); }

constexpr u8 kEnds = attr::kEndsBlock;
#define BRANCH(fn)                                                             \
  ::vtlab::HandlerSet {                                                        \
    { VTLAB_BRANCH(fn), VTLAB_BRANCH(fn), VTLAB_BRANCH(fn), VTLAB_BRANCH(fn) } \
  }

constexpr InsnRow kRows[] = {
    {ZYDIS_MNEMONIC_JMP, {}, kEnds, SizeFrom::Op0, &select_jmp},
    {ZYDIS_MNEMONIC_JB, BRANCH(jcc<2>), kEnds},
    {ZYDIS_MNEMONIC_JBE, BRANCH(jcc<6>), kEnds},
    {ZYDIS_MNEMONIC_JL, BRANCH(jcc<12>), kEnds},
    {ZYDIS_MNEMONIC_JLE, BRANCH(jcc<14>), kEnds},
    {ZYDIS_MNEMONIC_JNB, BRANCH(jcc<3>), kEnds},
    {ZYDIS_MNEMONIC_JNBE, BRANCH(jcc<7>), kEnds},
    {ZYDIS_MNEMONIC_JNL, BRANCH(jcc<13>), kEnds},
    {ZYDIS_MNEMONIC_JNLE, BRANCH(jcc<15>), kEnds},
    {ZYDIS_MNEMONIC_JNO, BRANCH(jcc<1>), kEnds},
    {ZYDIS_MNEMONIC_JNP, BRANCH(jcc<11>), kEnds},
    {ZYDIS_MNEMONIC_JNS, BRANCH(jcc<9>), kEnds},
    {ZYDIS_MNEMONIC_JNZ, BRANCH(jcc<5>), kEnds},
    {ZYDIS_MNEMONIC_JO, BRANCH(jcc<0>), kEnds},
    {ZYDIS_MNEMONIC_JP, BRANCH(jcc<10>), kEnds},
    {ZYDIS_MNEMONIC_JS, BRANCH(jcc<8>), kEnds},
    {ZYDIS_MNEMONIC_JZ, BRANCH(jcc<4>), kEnds},
    {ZYDIS_MNEMONIC_CALL, {}, kEnds, SizeFrom::Op0, &select_call},
    {ZYDIS_MNEMONIC_RET, {}, kEnds, SizeFrom::Op0, &select_ret},
    {ZYDIS_MNEMONIC_LOOP, BRANCH(loop<0>), kEnds},
    {ZYDIS_MNEMONIC_LOOPE, VTLAB_ONE(loop<1>), kEnds},
    {ZYDIS_MNEMONIC_LOOPNE, VTLAB_ONE(loop<2>), kEnds},
    {ZYDIS_MNEMONIC_JCXZ, VTLAB_ONE(jrcxz), kEnds},
    {ZYDIS_MNEMONIC_JECXZ, VTLAB_ONE(jrcxz), kEnds},
    {ZYDIS_MNEMONIC_JRCXZ, VTLAB_ONE(jrcxz), kEnds},
    {ZYDIS_MNEMONIC_INT, VTLAB_ONE(int_n), kEnds},
    {ZYDIS_MNEMONIC_INT3, VTLAB_ONE(int3), kEnds},
    {ZYDIS_MNEMONIC_INTO, VTLAB_ONE(into), kEnds},
    {ZYDIS_MNEMONIC_INT1, VTLAB_ONE(int1), kEnds},
    {ZYDIS_MNEMONIC_IRET, VTLAB_ONE(iret), kEnds},
    {ZYDIS_MNEMONIC_IRETD, VTLAB_ONE(iret), kEnds},
    {ZYDIS_MNEMONIC_IRETQ, VTLAB_ONE(iret), kEnds},
    {ZYDIS_MNEMONIC_BOUND, VTLAB_SIZED_WDQ(bound)},
};

}  // namespace

std::span<const InsnRow> control_rows() { return kRows; }

}  // namespace vtlab
