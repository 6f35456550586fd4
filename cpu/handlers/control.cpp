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
    case 2: return c.read_op<2>(i, 0);
    case 4: return c.read_op<4>(i, 0);
    default: return c.read_op<8>(i, 0);
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

// Checks a far code target (same privilege, non-gate descriptors; call
// gates and task switches arrive with the full protection model).
void check_far_code(Cpu& c, u16 sel) {
  if (!c.protected_mode() || c.v86()) return;
  if ((sel & 0xfffc) == 0) c.raise(kGP, 0);
  u64 d = c.read_descriptor(sel);
  // A system descriptor here would be a call gate or TSS (a task switch);
  // those arrive with the full protection model. Until then: #GP(selector).
  if (!((d >> 44) & 1)) c.raise(kGP, sel & 0xfffc);
}

void jmp_far(Cpu& c, const Insn& i) {
  u16 sel;
  u64 off;
  far_target(c, i, sel, off);
  check_far_code(c, sel);
  Segment saved = c.seg[CS];
  c.load_cs(sel);
  FaultThrowScope undo_on_fault(c);  // the catch below must see a fault
  try {
    c.branch_to(off, c.long64() ? 8 : c.code_size() == 4 ? 4 : i.opsize);
  } catch (...) {
    c.seg[CS] = saved;
    c.mode_changed();
    throw;
  }
  c.end_block();
}

void call_far(Cpu& c, const Insn& i) {
  u16 sel;
  u64 off;
  far_target(c, i, sel, off);
  check_far_code(c, sel);
  unsigned s = i.opsize;
  u16 old_cs = c.seg[CS].selector;
  u64 ret = c.next_rip;
  u64 old_sp = c.gpr[RSP];
  Segment saved = c.seg[CS];
  // Push first (may fault with nothing else changed), then switch CS.
  if (s == 8) {
    c.push<8>(old_cs);
    c.push<8>(ret);
  } else if (s == 4) {
    c.push<4>(old_cs);
    c.push<4>(u32(ret));
  } else {
    c.push<2>(old_cs);
    c.push<2>(u16(ret));
  }
  FaultThrowScope undo_on_fault(c);  // the catch below must see a fault
  try {
    c.load_cs(sel);
    c.branch_to(off, c.long64() ? 8 : s);
  } catch (...) {
    c.gpr[RSP] = old_sp;
    c.seg[CS] = saved;
    c.mode_changed();
    throw;
  }
  c.end_block();
}

void ret_far(Cpu& c, const Insn& i) {
  unsigned s = i.opsize;
  u64 release = i.op[0].kind == OpKind::Imm ? (i.imm & 0xffff) : 0;
  u64 off = c.peek_sized(s, 0);
  u16 sel = u16(c.peek_sized(s, s));
  if (!c.protected_mode() || c.v86()) {
    c.load_segment_real(CS, sel);
    c.next_rip = s == 4 ? u32(off) : u16(off);
    c.set_sp(c.gpr[RSP] + 2 * s + release);
    c.end_block();
    return;
  }
  unsigned rpl = sel & 3;
  if (rpl < c.cpl) c.raise(kGP, sel & 0xfffc);
  if (rpl == c.cpl) {
    Segment saved = c.seg[CS];
    c.load_cs(sel);
    FaultThrowScope undo_on_fault(c);  // the catch below must see a fault
    try {
      c.branch_to(off, c.long64() ? 8 : s);
    } catch (...) {
      c.seg[CS] = saved;
      c.mode_changed();
      throw;
    }
    c.set_sp(c.gpr[RSP] + 2 * s + release);
    c.end_block();
    return;
  }
  // Return to an outer privilege level: also pop SS:rSP (SDM Vol. 2 RET).
  u64 sp_off = 2 * s + release;
  u64 new_sp = c.peek_sized(s, sp_off);
  u16 ss_sel = u16(c.peek_sized(s, sp_off + s));
  Segment cs_saved = c.seg[CS], ss_saved = c.seg[SS];
  unsigned cpl_saved = c.cpl;
  FaultThrowScope undo_on_fault(c);  // the catch below must see a fault
  try {
    c.set_cpl(rpl);
    c.load_cs(sel);
    c.load_segment(SS, ss_sel);
    c.branch_to(off, c.long64() ? 8 : s);
  } catch (...) {
    c.set_cpl(cpl_saved);
    c.seg[CS] = cs_saved, c.seg[SS] = ss_saved;
    c.mode_changed();
    throw;
  }
  c.gpr[RSP] = s == 4 ? u32(new_sp + release) : s == 2 ? (c.gpr[RSP] & ~0xffffull) | u16(new_sp + release)
                                                        : new_sp + release;
  c.end_block();
}

void int_n(Cpu& c, const Insn& i) {
  if (c.v86() && (c.flags.bits & fl::IOPL) != fl::IOPL) c.raise(kGP, 0);
  c.software_interrupt(u8(i.imm));
}
void int3(Cpu& c, const Insn&) { c.software_interrupt(kBP); }
void into(Cpu& c, const Insn&) {
  if (c.flags.of()) c.software_interrupt(kOF);
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
#define BRANCH(fn) ::vtlab::HandlerSet{{VTLAB_BRANCH(fn), VTLAB_BRANCH(fn), VTLAB_BRANCH(fn), VTLAB_BRANCH(fn)}}

constexpr InsnRow kRows[] = {
    {ZYDIS_MNEMONIC_JMP, {}, kEnds, SizeFrom::Op0, &select_jmp},
    {ZYDIS_MNEMONIC_JB, BRANCH(jcc<2>), kEnds},   {ZYDIS_MNEMONIC_JBE, BRANCH(jcc<6>), kEnds},
    {ZYDIS_MNEMONIC_JL, BRANCH(jcc<12>), kEnds},   {ZYDIS_MNEMONIC_JLE, BRANCH(jcc<14>), kEnds},
    {ZYDIS_MNEMONIC_JNB, BRANCH(jcc<3>), kEnds},  {ZYDIS_MNEMONIC_JNBE, BRANCH(jcc<7>), kEnds},
    {ZYDIS_MNEMONIC_JNL, BRANCH(jcc<13>), kEnds},  {ZYDIS_MNEMONIC_JNLE, BRANCH(jcc<15>), kEnds},
    {ZYDIS_MNEMONIC_JNO, BRANCH(jcc<1>), kEnds},  {ZYDIS_MNEMONIC_JNP, BRANCH(jcc<11>), kEnds},
    {ZYDIS_MNEMONIC_JNS, BRANCH(jcc<9>), kEnds},  {ZYDIS_MNEMONIC_JNZ, BRANCH(jcc<5>), kEnds},
    {ZYDIS_MNEMONIC_JO, BRANCH(jcc<0>), kEnds},   {ZYDIS_MNEMONIC_JP, BRANCH(jcc<10>), kEnds},
    {ZYDIS_MNEMONIC_JS, BRANCH(jcc<8>), kEnds},   {ZYDIS_MNEMONIC_JZ, BRANCH(jcc<4>), kEnds},
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
