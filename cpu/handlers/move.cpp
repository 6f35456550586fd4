// Data movement: MOV family, XCHG, BSWAP, CMOVcc, SETcc, LEA, PUSH/POP
// family, ENTER/LEAVE, XLAT, far-pointer loads, NOPs.
#include "cpu/handlers/forms.h"
#include "cpu/vmx/capabilities.h"
#include "cpu/vmx/intercepts.h"

namespace vtlab {
namespace {

struct Mov {
  template <unsigned S, Form F>
  static void run(Cpu& c, const Insn& i) {
    uint_t<S> v = source<S, F>(c, i);
    FormDest<S, F>(c, i).set(v);
  }
};

// MOVZX/MOVSX: picked by destination size, source size and whether the
// source is memory, so the hot byte-table lookups run without switches.
template <unsigned S, unsigned SRC, bool MEM, bool SIGNED>
void extend(Cpu& c, const Insn& i) {
  uint_t<SRC> v = MEM ? c.read_lin<uint_t<SRC>>(c.mem_linear(i, SRC, Access::Read)) : c.read_op<SRC>(i, 1);
  u64 x = SIGNED ? u64(i64(sint_t<SRC>(v))) : u64(v);
  c.write_gpr<S>(i.op[0].reg, uint_t<S>(x));
}

template <bool SIGNED>
ChainedHandler select_extend(const Insn& i) {
  const bool mem = i.op[1].kind == OpKind::Mem;
  const bool byte = i.op[1].size == 1;
#define VTLAB_EXT(S)                                                                         \
  (byte ? (mem ? VTLAB_H(extend<S, 1, true, SIGNED>) : VTLAB_H(extend<S, 1, false, SIGNED>)) \
        : (mem ? VTLAB_H(extend<S, 2, true, SIGNED>) : VTLAB_H(extend<S, 2, false, SIGNED>)))
  switch (i.op[0].size) {
    case 2:
      return VTLAB_EXT(2);
    case 4:
      return VTLAB_EXT(4);
    default:
      return VTLAB_EXT(8);
  }
#undef VTLAB_EXT
}

void mov_from_seg(Cpu& c, const Insn& i) {
  u16 sel = c.seg[i.op[1].reg].selector;
  // Register destinations take the selector zero-extended to the operand
  // size; memory destinations are always 16 bits (SDM Vol. 2 MOV).
  if (i.op[0].kind == OpKind::Mem)
    c.write_op<2>(i, 0, sel);
  else if (i.op[0].size == 2)
    c.write_reg<2>(i.op[0], sel);
  else
    c.gpr[i.op[0].reg] = sel;
}

void mov_to_seg(Cpu& c, const Insn& i) {
  unsigned s = i.op[0].reg;
  if (s == CS || s > GS) c.raise(kUD);
  u16 sel = c.read_op<2>(i, 1);
  c.load_segment(s, sel);
  if (s == SS) c.set_interrupt_shadow(Cpu::Shadow::MovSs);
}

// MOV to/from CRn: a register that does not exist is #UD, found at decode,
// so before the CPL check's #GP(0) (SDM Vol. 2 MOV CR; Vol. 3A §6.9
// priorities).
void mov_to_cr(Cpu& c, const Insn& i) {
  if (!Cpu::cr_exists(i.op[0].reg)) c.raise(kUD);
  c.require_cpl0();
  u64 v = c.long64() ? c.gpr[i.op[1].reg] : u32(c.gpr[i.op[1].reg]);
  if (!c.vmx_non_root() || vmx::mov_to_cr(c, i, i.op[0].reg, v)) c.write_cr(i.op[0].reg, v);
  c.end_block();
}

void mov_from_cr(Cpu& c, const Insn& i) {
  const unsigned n = i.op[1].reg;
  if (!Cpu::cr_exists(n)) c.raise(kUD);
  c.require_cpl0();
  u64 v = c.vmx_non_root() ? vmx::mov_from_cr(c, i, n) : c.read_cr(n);
  c.gpr[i.op[0].reg] = c.long64() ? v : u32(v);
}

// MOV to/from DRn: CPL 0 (#GP, also in virtual-8086 mode), then the rules
// of cpu/debug_regs.cpp (DR4/DR5 aliases, general detect, reserved bits).
void mov_to_dr(Cpu& c, const Insn& i) {
  c.require_cpl0();
  if (c.vmx_non_root()) vmx::mov_dr(c, i, i.op[0].reg, i.op[1].reg, true);
  c.write_dr(i.op[0].reg, c.long64() ? c.gpr[i.op[1].reg] : u32(c.gpr[i.op[1].reg]));
  c.end_block();
}

void mov_from_dr(Cpu& c, const Insn& i) {
  c.require_cpl0();
  if (c.vmx_non_root()) vmx::mov_dr(c, i, i.op[1].reg, i.op[0].reg, false);
  const u64 v = c.read_dr(i.op[1].reg);
  c.gpr[i.op[0].reg] = c.long64() ? v : u32(v);
}

ChainedHandler select_mov(const Insn& i) {
  if (i.op[0].kind == OpKind::Seg) return VTLAB_H(mov_to_seg);
  if (i.op[1].kind == OpKind::Seg) return VTLAB_H(mov_from_seg);
  if (i.op[0].kind == OpKind::Cr) return VTLAB_H(mov_to_cr);
  if (i.op[1].kind == OpKind::Cr) return VTLAB_H(mov_from_cr);
  if (i.op[0].kind == OpKind::Dr) return VTLAB_H(mov_to_dr);
  if (i.op[1].kind == OpKind::Dr) return VTLAB_H(mov_from_dr);
  return select_by_size_and_form<Mov>(i);
}

template <unsigned S>
void xchg(Cpu& c, const Insn& i) {
  // XCHG with memory is implicitly locked; single-threaded execution makes
  // that automatic. The memory write comes first (precise).
  Dest<S> d(c, i);
  uint_t<S> a = d.get();
  uint_t<S> b = c.read_reg<S>(i.op[1]);
  if (i.op[0].kind == OpKind::Gpr && i.op[1].kind == OpKind::Gpr && i.op[0].reg == i.op[1].reg) {
    d.set(a);  // XCHG EAX,EAX still zero-extends (only 90 is NOP)
    return;
  }
  d.set(b);
  c.write_reg<S>(i.op[1], a);
}

template <unsigned S>
void bswap(Cpu& c, const Insn& i) {
  uint_t<S> v = c.read_reg<S>(i.op[0]);
  if constexpr (S == 8)
    v = __builtin_bswap64(v);
  else if constexpr (S == 4)
    v = __builtin_bswap32(v);
  else
    v = 0;  // BSWAP r16 is undefined; current Intel parts clear the register's low word
  c.write_reg<S>(i.op[0], v);
}

template <unsigned S>
void cmovcc(Cpu& c, const Insn& i) {
  uint_t<S> src = c.read_op<S>(i, 1);  // memory is read even when the condition fails
  if (c.flags.cond(i.cc))
    c.write_reg<S>(i.op[0], src);
  else if (S == 4)
    c.write_reg<S>(i.op[0], c.read_reg<S>(i.op[0]));  // 64-bit mode: upper half cleared anyway
}

void setcc(Cpu& c, const Insn& i) { c.write_op<1>(i, 0, c.flags.cond(i.cc)); }

template <unsigned S>
void lea(Cpu& c, const Insn& i) {
  c.write_reg<S>(i.op[0], uint_t<S>(c.effective_address(i)));
}

template <unsigned S>
void push(Cpu& c, const Insn& i) {
  const Operand& o = i.op[0];
  if (o.kind == OpKind::Seg && S > 2) {
    // A 32/64-bit push of a segment register: "all recent Core and Atom
    // processors perform a 16-bit move, leaving the upper portion of the
    // stack location unmodified" (SDM Vol. 2 PUSH). AMD writes the selector
    // zero-extended (docs/vendor-differences.md); vtlab follows Intel.
    u64 sp = (c.gpr[RSP] - S) & c.rsp_mask();
    c.write_lin<u16>(c.linear(SS, sp, 2, Access::Write), c.seg[o.reg].selector);
    c.set_sp(sp);
    return;
  }
  uint_t<S> v;
  if (o.kind == OpKind::Seg)
    v = c.seg[o.reg].selector;
  else if (o.kind == OpKind::Imm)
    v = uint_t<S>(i.imm);
  else
    v = c.read_op<S>(i, 0);
  c.push<S>(v);
}

template <unsigned S>
void pop(Cpu& c, const Insn& i) {
  const Operand& o = i.op[0];
  if (o.kind == OpKind::Seg) {
    u16 sel = u16(c.peek<S>(0));
    c.load_segment(o.reg, sel);
    c.set_sp(c.gpr[RSP] + S);
    if (o.reg == SS) c.set_interrupt_shadow(Cpu::Shadow::MovSs);
    return;
  }
  uint_t<S> v = c.peek<S>(0);
  u64 old_sp = c.gpr[RSP];
  c.set_sp(old_sp + S);
  // A memory destination addressed through rSP sees the incremented value
  // (SDM Vol. 2 POP); if the store faults, rSP is restored (precise).
  FaultThrowScope undo_on_fault(c);  // the catch below must see a fault
  try {
    c.write_op<S>(i, 0, v);
  } catch (...) {
    c.gpr[RSP] = old_sp;
    throw;
  }
}

template <unsigned S>
void pusha(Cpu& c, const Insn&) {
  u64 old_sp = c.gpr[RSP];
  uint_t<S> regs[8];
  for (int r = 0; r < 8; ++r) regs[r] = uint_t<S>(c.gpr[r]);  // RSP as it was before the first push
  FaultThrowScope undo_on_fault(c);                           // the catch below must see a fault
  try {
    for (int r = 0; r < 8; ++r) c.push<S>(regs[r]);
  } catch (...) {
    c.gpr[RSP] = old_sp;
    throw;
  }
}

template <unsigned S>
void popa(Cpu& c, const Insn&) {
  uint_t<S> vals[8];
  for (int r = 0; r < 8; ++r) vals[r] = c.peek<S>(u64(7 - r) * S);
  for (int r = 0; r < 8; ++r)
    if (r != RSP) c.write_gpr<S>(unsigned(r), vals[r]);
  c.set_sp(c.gpr[RSP] + 8 * S);
}

// ENTER imm16, imm8 (SDM Vol. 2 ENTER, nesting levels 0..31).
template <unsigned S>
void enter(Cpu& c, const Insn& i) {
  u64 alloc = i.imm & 0xffff;
  unsigned level = unsigned(i.imm2 & 31);
  u64 sp_mask = c.rsp_mask();
  u64 old_sp = c.gpr[RSP], old_bp = c.gpr[RBP];
  FaultThrowScope undo_on_fault(c);  // the catch below must see a fault
  try {
    c.push<S>(uint_t<S>(old_bp));
    u64 frame = c.gpr[RSP] & sp_mask;
    u64 bp = old_bp;
    for (unsigned k = 1; k < level; ++k) {
      bp = (bp - S) & (S == 2 ? 0xffff : sp_mask);
      c.push<S>(c.read_lin<uint_t<S>>(c.linear(SS, bp, S, Access::Read)));
    }
    if (level > 0) c.push<S>(uint_t<S>(frame));
    u64 new_sp = (c.gpr[RSP] - alloc) & sp_mask;
    c.linear(SS, new_sp, 1, Access::Write);  // the new stack top must be valid
    c.write_gpr<S>(RBP, uint_t<S>(frame));
    c.set_sp(new_sp);
  } catch (...) {
    c.gpr[RSP] = old_sp, c.gpr[RBP] = old_bp;
    throw;
  }
}

template <unsigned S>
void leave(Cpu& c, const Insn&) {
  u64 old_sp = c.gpr[RSP];
  c.set_sp(c.gpr[RBP]);
  FaultThrowScope undo_on_fault(c);  // the catch below must see a fault
  try {
    uint_t<S> bp = c.pop<S>();
    c.write_gpr<S>(RBP, bp);
  } catch (...) {
    c.gpr[RSP] = old_sp;
    throw;
  }
}

void xlat(Cpu& c, const Insn& i) {
  u64 ea = (c.gpr[RBX] + (c.gpr[RAX] & 0xff)) & asize_mask(i);
  u8 v = c.read_lin<u8>(c.linear(i.mem.seg, ea, 1, Access::Read));
  c.write_gpr<1>(RAX, v);
}

// LDS/LES/LFS/LGS/LSS r, m16:16/32/64.
template <unsigned S>
void load_far_pointer(Cpu& c, const Insn& i) {
  FarPointer p = read_far_pointer(c, i, S);
  unsigned s;
  switch (i.mnemonic) {
    case ZYDIS_MNEMONIC_LDS:
      s = DS;
      break;
    case ZYDIS_MNEMONIC_LES:
      s = ES;
      break;
    case ZYDIS_MNEMONIC_LFS:
      s = FS;
      break;
    case ZYDIS_MNEMONIC_LGS:
      s = GS;
      break;
    default:
      s = SS;
      break;
  }
  c.load_segment(s, p.selector);
  c.write_reg<S>(i.op[0], uint_t<S>(p.offset));
}

void nop(Cpu&, const Insn&) {}
// PAUSE: a hint; in VMX non-root operation "PAUSE exiting" exits (SDM Vol. 3C §26.1.3).
void pause(Cpu& c, const Insn& i) {
  if (c.vmx_non_root()) vmx::pause(c, i);
}

// ARPL r/m16, r16 (protected mode outside 64-bit mode, where 63 is MOVSXD):
// raise the destination selector's RPL to the source's; ZF says whether it did.
void arpl(Cpu& c, const Insn& i) {
  if (!c.protected_mode() || c.v86()) c.raise(kUD);
  Dest<2> d(c, i);
  u16 dst = d.get(), src = c.read_reg<2>(i.op[1]);
  if ((dst & 3) < (src & 3)) {
    d.set(u16((dst & ~3) | (src & 3)));
    c.flags.set_arith(fl::ZF, fl::ZF);
  } else {
    c.flags.set_arith(fl::ZF, 0);
  }
}

template <unsigned S>
void movsxd(Cpu& c, const Insn& i) {
  if constexpr (S == 8) {
    c.write_reg<8>(i.op[0], u64(i64(i32(c.read_op<4>(i, 1)))));
  } else {
    c.write_reg<S>(i.op[0], c.read_op<S>(i, 1));
  }
}

template <unsigned S>
void movbe(Cpu& c, const Insn& i) {
  uint_t<S> v = c.read_op<S>(i, 1);
  if constexpr (S == 2) v = __builtin_bswap16(v);
  if constexpr (S == 4) v = __builtin_bswap32(v);
  if constexpr (S == 8) v = __builtin_bswap64(v);
  c.write_op<S>(i, 0, v);
}

constexpr InsnRow kRows[] = {
    {ZYDIS_MNEMONIC_MOV, {}, 0, SizeFrom::Op0, &select_mov},
    {ZYDIS_MNEMONIC_MOVZX, {}, 0, SizeFrom::Op0, &select_extend<false>},
    {ZYDIS_MNEMONIC_MOVSX, {}, 0, SizeFrom::Op0, &select_extend<true>},
    {ZYDIS_MNEMONIC_MOVSXD, VTLAB_SIZED_WDQ(movsxd)},
    {ZYDIS_MNEMONIC_XCHG, VTLAB_SIZED(xchg), attr::kLockable},
    {ZYDIS_MNEMONIC_BSWAP, VTLAB_SIZED_WDQ(bswap)},
    {ZYDIS_MNEMONIC_CMOVB, VTLAB_SIZED_WDQ(cmovcc)},
    {ZYDIS_MNEMONIC_CMOVBE, VTLAB_SIZED_WDQ(cmovcc)},
    {ZYDIS_MNEMONIC_CMOVL, VTLAB_SIZED_WDQ(cmovcc)},
    {ZYDIS_MNEMONIC_CMOVLE, VTLAB_SIZED_WDQ(cmovcc)},
    {ZYDIS_MNEMONIC_CMOVNB, VTLAB_SIZED_WDQ(cmovcc)},
    {ZYDIS_MNEMONIC_CMOVNBE, VTLAB_SIZED_WDQ(cmovcc)},
    {ZYDIS_MNEMONIC_CMOVNL, VTLAB_SIZED_WDQ(cmovcc)},
    {ZYDIS_MNEMONIC_CMOVNLE, VTLAB_SIZED_WDQ(cmovcc)},
    {ZYDIS_MNEMONIC_CMOVNO, VTLAB_SIZED_WDQ(cmovcc)},
    {ZYDIS_MNEMONIC_CMOVNP, VTLAB_SIZED_WDQ(cmovcc)},
    {ZYDIS_MNEMONIC_CMOVNS, VTLAB_SIZED_WDQ(cmovcc)},
    {ZYDIS_MNEMONIC_CMOVNZ, VTLAB_SIZED_WDQ(cmovcc)},
    {ZYDIS_MNEMONIC_CMOVO, VTLAB_SIZED_WDQ(cmovcc)},
    {ZYDIS_MNEMONIC_CMOVP, VTLAB_SIZED_WDQ(cmovcc)},
    {ZYDIS_MNEMONIC_CMOVS, VTLAB_SIZED_WDQ(cmovcc)},
    {ZYDIS_MNEMONIC_CMOVZ, VTLAB_SIZED_WDQ(cmovcc)},
    {ZYDIS_MNEMONIC_SETB, VTLAB_ONE(setcc)},
    {ZYDIS_MNEMONIC_SETBE, VTLAB_ONE(setcc)},
    {ZYDIS_MNEMONIC_SETL, VTLAB_ONE(setcc)},
    {ZYDIS_MNEMONIC_SETLE, VTLAB_ONE(setcc)},
    {ZYDIS_MNEMONIC_SETNB, VTLAB_ONE(setcc)},
    {ZYDIS_MNEMONIC_SETNBE, VTLAB_ONE(setcc)},
    {ZYDIS_MNEMONIC_SETNL, VTLAB_ONE(setcc)},
    {ZYDIS_MNEMONIC_SETNLE, VTLAB_ONE(setcc)},
    {ZYDIS_MNEMONIC_SETNO, VTLAB_ONE(setcc)},
    {ZYDIS_MNEMONIC_SETNP, VTLAB_ONE(setcc)},
    {ZYDIS_MNEMONIC_SETNS, VTLAB_ONE(setcc)},
    {ZYDIS_MNEMONIC_SETNZ, VTLAB_ONE(setcc)},
    {ZYDIS_MNEMONIC_SETO, VTLAB_ONE(setcc)},
    {ZYDIS_MNEMONIC_SETP, VTLAB_ONE(setcc)},
    {ZYDIS_MNEMONIC_SETS, VTLAB_ONE(setcc)},
    {ZYDIS_MNEMONIC_SETZ, VTLAB_ONE(setcc)},
    {ZYDIS_MNEMONIC_LEA, VTLAB_SIZED_WDQ(lea)},
    {ZYDIS_MNEMONIC_PUSH, VTLAB_SIZED_WDQ(push), 0, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_POP, VTLAB_SIZED_WDQ(pop), 0, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_PUSHA, VTLAB_SIZED_WDQ(pusha), 0, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_PUSHAD, VTLAB_SIZED_WDQ(pusha), 0, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_POPA, VTLAB_SIZED_WDQ(popa), 0, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_POPAD, VTLAB_SIZED_WDQ(popa), 0, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_ENTER, VTLAB_SIZED_WDQ(enter), 0, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_LEAVE, VTLAB_SIZED_WDQ(leave), 0, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_XLAT, VTLAB_ONE(xlat)},
    {ZYDIS_MNEMONIC_LDS, VTLAB_SIZED_WDQ(load_far_pointer), attr::kEndsBlock},
    {ZYDIS_MNEMONIC_LES, VTLAB_SIZED_WDQ(load_far_pointer), attr::kEndsBlock},
    {ZYDIS_MNEMONIC_LFS, VTLAB_SIZED_WDQ(load_far_pointer), attr::kEndsBlock},
    {ZYDIS_MNEMONIC_LGS, VTLAB_SIZED_WDQ(load_far_pointer), attr::kEndsBlock},
    {ZYDIS_MNEMONIC_LSS, VTLAB_SIZED_WDQ(load_far_pointer), attr::kEndsBlock},
    {ZYDIS_MNEMONIC_NOP, VTLAB_ONE(nop)},
    {ZYDIS_MNEMONIC_ARPL, VTLAB_ONE(arpl)},
    {ZYDIS_MNEMONIC_PAUSE, VTLAB_ONE(pause)},
    {ZYDIS_MNEMONIC_MOVBE, VTLAB_SIZED_WDQ(movbe)},
};

}  // namespace

std::span<const InsnRow> move_rows() { return kRows; }

}  // namespace vtlab
