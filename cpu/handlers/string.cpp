// String instructions: MOVS CMPS SCAS LODS STOS INS OUTS with REP/REPE/REPNE
// in every address size (SDM Vol. 2 "REP/REPE/REPZ/REPNE/REPNZ").
//
// Each iteration is architecturally complete (a fault mid-way leaves rCX,
// rSI, rDI describing the remaining work, and RIP at the instruction). Each
// iteration is one tick of virtual time (docs/architecture.md): a REP runs
// only as many iterations as the current deadline allows, then yields by
// re-executing itself, so a timer or interrupt due in the middle of a long
// REP is taken between two iterations, as on hardware (SDM Vol. 2 "REP":
// the instruction is interruptible and resumes where it stopped).
#include <algorithm>

#include "cpu/handlers/common.h"
#include "cpu/vmx/capabilities.h"
#include "cpu/vmx/intercepts.h"

namespace vtlab {
namespace {

// At most this many iterations between two returns to the run loop (so a
// stop request is seen promptly even with no deadline near).
constexpr u64 kMaxIterationsPerStep = 4096;

struct StringRegs {
  Cpu& c;
  const Insn& i;
  u64 mask;
  i64 step;
  StringRegs(Cpu& cpu, const Insn& insn, unsigned size)
      : c(cpu), i(insn), mask(asize_mask(insn)), step((cpu.flags.bits & fl::DF) ? -i64(size) : i64(size)) {}
  u64 si() const { return c.gpr[RSI] & mask; }
  u64 di() const { return c.gpr[RDI] & mask; }
  u64 cx() const { return c.gpr[RCX] & mask; }
  void advance_si() { write_masked(c, RSI, c.gpr[RSI] + u64(step), i); }
  void advance_di() { write_masked(c, RDI, c.gpr[RDI] + u64(step), i); }
  void dec_cx() { write_masked(c, RCX, c.gpr[RCX] - 1, i); }
};

// The index registers a string instruction steps.
enum IndexRegs : u8 { kSi = 1, kDi = 2, kSiDi = kSi | kDi };

// A REP with a zero count runs no iteration. With a 32-bit address size in
// 64-bit mode Intel hardware still writes rCX and the instruction's index
// registers as 32-bit registers, clearing their upper halves (AMD leaves
// them; docs/vendor-differences.md). vtlab follows Intel.
void zero_count_writes(Cpu& c, const Insn& i, u8 index_regs) {
  if (i.asize != 4 || !c.long64()) return;
  c.gpr[RCX] = u32(c.gpr[RCX]);
  if (index_regs & kSi) c.gpr[RSI] = u32(c.gpr[RSI]);
  if (index_regs & kDi) c.gpr[RDI] = u32(c.gpr[RDI]);
}

// Runs `body` once, or under REP until rCX is 0 (or the REPE/REPNE
// condition ends it when `uses_zf`).
template <typename Body>
void repeat(Cpu& c, const Insn& i, StringRegs& r, bool uses_zf, u8 index_regs, Body body) {
  if (!i.rep) {
    body();
    return;
  }
  if (r.cx() == 0) {
    zero_count_writes(c, i, index_regs);
    return;
  }
  // The dispatcher counts the instruction's first tick; each further
  // iteration adds one before it runs, so a device it touches sees the
  // right time.
  const u64 budget = std::min(c.ticks_left(), kMaxIterationsPerStep);
  for (u64 n = 0;; ++n) {
    if (r.cx() == 0) return;
    if (n > 0) {
      if (n == budget) break;
      c.add_ticks(1);
    }
    body();
    r.dec_cx();
    if (uses_zf) {
      bool zf = c.flags.zf();
      if ((i.rep == 1 && !zf) || (i.rep == 2 && zf)) return;
    }
  }
  if (r.cx() != 0) {
    c.next_rip = c.rip;  // more to do: run this instruction again
    c.set_mid_instruction(true);
    c.end_block();
  }
}

template <unsigned S>
void movs(Cpu& c, const Insn& i) {
  StringRegs r(c, i, S);
  repeat(c, i, r, false, kSiDi, [&] {
    auto v = c.read_lin<uint_t<S>>(c.linear(i.mem.seg, r.si(), S, Access::Read));
    c.write_lin<uint_t<S>>(c.linear(ES, r.di(), S, Access::Write), v);
    r.advance_si();
    r.advance_di();
  });
}

template <unsigned S>
void stos(Cpu& c, const Insn& i) {
  StringRegs r(c, i, S);
  auto v = uint_t<S>(c.gpr[RAX]);
  repeat(c, i, r, false, kDi, [&] {
    c.write_lin<uint_t<S>>(c.linear(ES, r.di(), S, Access::Write), v);
    r.advance_di();
  });
}

template <unsigned S>
void lods(Cpu& c, const Insn& i) {
  StringRegs r(c, i, S);
  repeat(c, i, r, false, kSi, [&] {
    auto v = c.read_lin<uint_t<S>>(c.linear(i.mem.seg, r.si(), S, Access::Read));
    c.write_gpr<S>(RAX, v);
    r.advance_si();
  });
}

template <unsigned S>
void cmps(Cpu& c, const Insn& i) {
  using T = uint_t<S>;
  StringRegs r(c, i, S);
  repeat(c, i, r, true, kSiDi, [&] {
    T a = c.read_lin<T>(c.linear(i.mem.seg, r.si(), S, Access::Read));
    T b = c.read_lin<T>(c.linear(ES, r.di(), S, Access::Read));
    c.flags.record<T>(LazyOp::Sub, T(a - b), a, b);
    r.advance_si();
    r.advance_di();
  });
}

template <unsigned S>
void scas(Cpu& c, const Insn& i) {
  using T = uint_t<S>;
  StringRegs r(c, i, S);
  T a = T(c.gpr[RAX]);
  repeat(c, i, r, true, kDi, [&] {
    T b = c.read_lin<T>(c.linear(ES, r.di(), S, Access::Read));
    c.flags.record<T>(LazyOp::Sub, T(a - b), a, b);
    r.advance_di();
  });
}

template <unsigned S>
void ins(Cpu& c, const Insn& i) {
  StringRegs r(c, i, S);
  u16 port = u16(c.gpr[RDX]);
  if (!c.io_allowed(port, S)) c.raise(kGP, 0);
  if (c.vmx_non_root()) vmx::io(c, i, port, S, true, true);
  c.sync_time();
  repeat(c, i, r, false, kDi, [&] {
    u64 lin = c.linear(ES, r.di(), S, Access::Write);
    c.probe_write(lin, S);  // the port read happens only if the store can complete
    c.write_lin<uint_t<S>>(lin, uint_t<S>(c.ports().read(port, S)));
    r.advance_di();
  });
}

template <unsigned S>
void outs(Cpu& c, const Insn& i) {
  StringRegs r(c, i, S);
  u16 port = u16(c.gpr[RDX]);
  if (!c.io_allowed(port, S)) c.raise(kGP, 0);
  if (c.vmx_non_root()) vmx::io(c, i, port, S, false, true);
  c.sync_time();
  repeat(c, i, r, false, kSi, [&] {
    auto v = c.read_lin<uint_t<S>>(c.linear(i.mem.seg, r.si(), S, Access::Read));
    c.ports().write(port, S, v);
    r.advance_si();
  });
}

// Zydis names the sized forms (MOVSB/MOVSW/MOVSD/MOVSQ); the operand size
// picks the handler.
#define STR(fn) VTLAB_SIZED(fn), 0, SizeFrom::OpSize
#define STR_B(fn) VTLAB_ONE(fn<1>), 0, SizeFrom::OpSize

constexpr InsnRow kRows[] = {
    {ZYDIS_MNEMONIC_MOVSB, STR_B(movs)}, {ZYDIS_MNEMONIC_MOVSW, STR(movs)}, {ZYDIS_MNEMONIC_MOVSQ, STR(movs)},
    {ZYDIS_MNEMONIC_STOSB, STR_B(stos)}, {ZYDIS_MNEMONIC_STOSW, STR(stos)}, {ZYDIS_MNEMONIC_STOSD, STR(stos)},
    {ZYDIS_MNEMONIC_STOSQ, STR(stos)},   {ZYDIS_MNEMONIC_LODSB, STR_B(lods)}, {ZYDIS_MNEMONIC_LODSW, STR(lods)},
    {ZYDIS_MNEMONIC_LODSD, STR(lods)},   {ZYDIS_MNEMONIC_LODSQ, STR(lods)},   {ZYDIS_MNEMONIC_CMPSB, STR_B(cmps)},
    {ZYDIS_MNEMONIC_CMPSW, STR(cmps)},   {ZYDIS_MNEMONIC_CMPSQ, STR(cmps)},   {ZYDIS_MNEMONIC_SCASB, STR_B(scas)},
    {ZYDIS_MNEMONIC_SCASW, STR(scas)},   {ZYDIS_MNEMONIC_SCASD, STR(scas)},   {ZYDIS_MNEMONIC_SCASQ, STR(scas)},
    {ZYDIS_MNEMONIC_INSB, STR_B(ins)},   {ZYDIS_MNEMONIC_INSW, STR(ins)},     {ZYDIS_MNEMONIC_INSD, STR(ins)},
    {ZYDIS_MNEMONIC_OUTSB, STR_B(outs)}, {ZYDIS_MNEMONIC_OUTSW, STR(outs)},   {ZYDIS_MNEMONIC_OUTSD, STR(outs)},
};

}  // namespace

std::span<const InsnRow> string_rows() { return kRows; }

// MOVSD and CMPSD name both the dword string instructions and the SSE2
// scalar-double instructions; the SSE group's rows call these for the
// string forms.
ChainedHandler string_movsd_handler() { return VTLAB_H(movs<4>); }
ChainedHandler string_cmpsd_handler() { return VTLAB_H(cmps<4>); }

}  // namespace vtlab
