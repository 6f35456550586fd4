// Flag instructions and sign extension of the accumulator: LAHF/SAHF,
// PUSHF/POPF, CLC/STC/CMC/CLD/STD/CLI/STI, CBW family, CWD family.
#include "cpu/handlers/common.h"

namespace vtlab {
namespace {

void lahf(Cpu& c, const Insn&) {
  u64 f = c.flags.get();
  c.write_gpr<1>(RAX, u8((f & (fl::SF | fl::ZF | fl::AF | fl::PF | fl::CF)) | 2), true);
}

void sahf(Cpu& c, const Insn&) {
  u64 ah = (c.gpr[RAX] >> 8) & 0xff;
  c.flags.set_arith(fl::SF | fl::ZF | fl::AF | fl::PF | fl::CF, ah);
}

// Virtual-8086 mode with IOPL < 3: PUSHF/POPF are #GP(0), except the 16-bit
// forms under CR4.VME, which show VIF as IF and IOPL as 3 (SDM Vol. 3A
// §20.4.2, Vol. 2 PUSHF/POPF).
bool vme_flags_form(Cpu& c, unsigned size) {
  if (!c.v86() || c.iopl() == 3) return false;
  if (!(c.cr4 & cr4::VME) || size != 2) c.raise(kGP, 0);
  return true;
}

// PUSHF pushes RFLAGS with VM and RF cleared (SDM Vol. 2 PUSHF).
template <unsigned S>
void pushf(Cpu& c, const Insn&) {
  u64 f = c.flags.get() & ~(fl::VM | fl::RF);
  if (vme_flags_form(c, S)) f = (f & ~fl::IF) | ((c.flags.bits & fl::VIF) ? fl::IF : 0) | fl::IOPL;
  c.push<S>(uint_t<S>(f));
}

// POPF: which bits change depends on CPL and IOPL (SDM Vol. 2 POPF).
template <unsigned S>
void popf(Cpu& c, const Insn&) {
  if (vme_flags_form(c, S)) {
    const u64 v = c.peek<S>(0);
    if (((v & fl::IF) && (c.flags.bits & fl::VIP)) || (v & fl::TF)) c.raise(kGP, 0);
    c.set_sp(c.gpr[RSP] + S);
    c.write_rflags(v, (fl::kArith | fl::DF | fl::NT) & 0xffff);
    c.flags.bits = (c.flags.bits & ~fl::VIF) | ((v & fl::IF) ? fl::VIF : 0);
    return;
  }
  u64 v = c.peek<S>(0);
  u64 mask = fl::kArith | fl::TF | fl::DF | fl::NT | fl::AC | fl::ID;
  unsigned iopl = (c.flags.bits & fl::IOPL) >> 12;
  if (!c.protected_mode() || c.cpl == 0)
    mask |= fl::IOPL | fl::IF;
  else if (c.cpl <= iopl)
    mask |= fl::IF;
  if (c.v86()) mask = (mask | fl::IF) & ~fl::IOPL;
  if (S == 2) mask &= 0xffff;
  c.set_sp(c.gpr[RSP] + S);
  c.write_rflags(v, mask);
}

void clc(Cpu& c, const Insn&) { c.flags.set_arith(fl::CF, 0); }
void stc(Cpu& c, const Insn&) { c.flags.set_arith(fl::CF, fl::CF); }
void cmc(Cpu& c, const Insn&) { c.flags.set_arith(fl::CF, c.flags.cf() ? 0 : fl::CF); }
void cld(Cpu& c, const Insn&) { c.flags.bits &= ~fl::DF; }
void std_(Cpu& c, const Insn&) { c.flags.bits |= fl::DF; }

bool may_change_if(const Cpu& c) {
  if (!c.protected_mode()) return true;
  unsigned iopl = (c.flags.bits & fl::IOPL) >> 12;
  return c.v86() ? iopl == 3 : c.cpl <= iopl;
}

void cli(Cpu& c, const Insn&) {
  if (!may_change_if(c)) {
    if (!c.virtual_interrupt_flag_mode()) c.raise(kGP, 0);
    c.flags.bits &= ~fl::VIF;
    return;
  }
  c.flags.bits &= ~fl::IF;
}

void sti(Cpu& c, const Insn&) {
  if (!may_change_if(c)) {
    // VME/PVI: VIF, unless an interrupt is pending (VIP): then #GP(0).
    if (!c.virtual_interrupt_flag_mode() || (c.flags.bits & fl::VIP)) c.raise(kGP, 0);
    c.flags.bits |= fl::VIF;
    return;
  }
  // Interrupts stay blocked until after the next instruction (SDM Vol. 2 STI).
  if (!(c.flags.bits & fl::IF)) c.set_interrupt_shadow(Cpu::Shadow::Sti);
  c.flags.bits |= fl::IF;
  c.end_block();
}

// CBW/CWDE/CDQE: sign-extend the lower half of rAX into the whole operand.
template <unsigned S>
void cbw(Cpu& c, const Insn&) {
  constexpr unsigned half = S / 2;
  c.write_gpr<S>(RAX, uint_t<S>(sint_t<half>(uint_t<half>(c.gpr[RAX]))));
}

// CWD/CDQ/CQO: rDX = sign of rAX.
template <unsigned S>
void cwd(Cpu& c, const Insn&) {
  bool neg = sint_t<S>(uint_t<S>(c.gpr[RAX])) < 0;
  c.write_gpr<S>(RDX, neg ? uint_t<S>(~uint_t<S>(0)) : uint_t<S>(0));
}

constexpr InsnRow kRows[] = {
    {ZYDIS_MNEMONIC_LAHF, VTLAB_ONE(lahf)},
    {ZYDIS_MNEMONIC_SAHF, VTLAB_ONE(sahf)},
    {ZYDIS_MNEMONIC_PUSHF, VTLAB_SIZED_WDQ(pushf), 0, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_PUSHFD, VTLAB_SIZED_WDQ(pushf), 0, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_PUSHFQ, VTLAB_SIZED_WDQ(pushf), 0, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_POPF, VTLAB_SIZED_WDQ(popf), attr::kEndsBlock, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_POPFD, VTLAB_SIZED_WDQ(popf), attr::kEndsBlock, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_POPFQ, VTLAB_SIZED_WDQ(popf), attr::kEndsBlock, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_CLC, VTLAB_ONE(clc)},
    {ZYDIS_MNEMONIC_STC, VTLAB_ONE(stc)},
    {ZYDIS_MNEMONIC_CMC, VTLAB_ONE(cmc)},
    {ZYDIS_MNEMONIC_CLD, VTLAB_ONE(cld)},
    {ZYDIS_MNEMONIC_STD, VTLAB_ONE(std_)},
    {ZYDIS_MNEMONIC_CLI, VTLAB_ONE(cli)},
    {ZYDIS_MNEMONIC_STI, VTLAB_ONE(sti), attr::kEndsBlock},
    {ZYDIS_MNEMONIC_CBW, VTLAB_SIZED_WDQ(cbw), 0, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_CWDE, VTLAB_SIZED_WDQ(cbw), 0, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_CDQE, VTLAB_SIZED_WDQ(cbw), 0, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_CWD, VTLAB_SIZED_WDQ(cwd), 0, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_CDQ, VTLAB_SIZED_WDQ(cwd), 0, SizeFrom::OpSize},
    {ZYDIS_MNEMONIC_CQO, VTLAB_SIZED_WDQ(cwd), 0, SizeFrom::OpSize},
};

}  // namespace

std::span<const InsnRow> flagops_rows() { return kRows; }

}  // namespace vtlab
