// MXCSR and the FXSAVE area: LDMXCSR, STMXCSR, FXSAVE/FXRSTOR and their
// REX.W forms FXSAVE64/FXRSTOR64 (SDM Vol. 2 FXSAVE, Vol. 1 §10.5.1).
//
// x87 does not exist yet: FXSAVE stores the x87 part as the state FNINIT
// leaves (FCW=0x037F, FSW=0, abridged FTW=0 (all empty), FOP/FIP/FDP/FCS/
// FDS=0, ST0-7 zero) and FXRSTOR ignores it. The XMM registers and
// MXCSR/MXCSR_MASK are real. REX.W only changes how FIP/FDP are laid out
// (64-bit offsets vs. 32-bit offset + selector); with the x87 part all
// zero both layouts give the same bytes.
#include "cpu/sse/fp_env.h"
#include "cpu/sse/sse.h"

namespace vtlab::sse {
namespace {

constexpr unsigned kMxcsrOff = 24, kMaskOff = 28, kXmmOff = 160, kAreaSize = 512;

// LDMXCSR/STMXCSR: the usual SSE #UD/#NM checks; reserved bits -> #GP(0).
void ldmxcsr(Cpu& c, const Insn& i) {
  require_sse(c);
  u32 v = c.read_lin<u32>(c.mem_linear(i, 4, Access::Read));
  if (v & ~mx::kMask) c.raise(kGP, 0);
  c.mxcsr = v;
}

void stmxcsr(Cpu& c, const Insn& i) {
  require_sse(c);
  c.write_lin<u32>(c.mem_linear(i, 4, Access::Write), c.mxcsr);
}

// FXSAVE/FXRSTOR do not depend on CR4.OSFXSR for #UD; CR0.TS or CR0.EM
// give #NM (SDM Vol. 2 FXSAVE "Protected Mode Exceptions"). Outside 64-bit
// mode only XMM0-7 are part of the area.
void fx_check(Cpu& c) {
  if (c.cr0 & (cr0::TS | cr0::EM)) c.raise(kNM);
}
unsigned xmm_count(const Cpu& c) { return c.long64() ? 16 : 8; }

void fxsave(Cpu& c, const Insn& i) {
  fx_check(c);
  u64 lin = mem_addr(c, i, kAreaSize, Access::Write, Align::Required);
  c.probe_write(lin, kAreaSize);  // the whole area is the operand
  u8 img[kXmmOff + 16 * 16] = {};
  const u16 fcw = 0x037f;
  std::memcpy(img, &fcw, 2);
  std::memcpy(img + kMxcsrOff, &c.mxcsr, 4);
  const u32 mask = mx::kMask;
  std::memcpy(img + kMaskOff, &mask, 4);
  const unsigned n = xmm_count(c);
  std::memcpy(img + kXmmOff, c.xmm, 16 * n);
  // Bytes past the XMM registers (reserved, and 464-511 for software) are
  // left as they are.
  c.write_block(lin, img, kXmmOff + 16 * n);
}

void fxrstor(Cpu& c, const Insn& i) {
  fx_check(c);
  u64 lin = mem_addr(c, i, kAreaSize, Access::Read, Align::Required);
  u8 img[kXmmOff + 16 * 16];
  const unsigned n = xmm_count(c);
  c.read_block(lin, img, kXmmOff + 16 * n);
  u32 m;
  std::memcpy(&m, img + kMxcsrOff, 4);
  if (m & ~mx::kMask) c.raise(kGP, 0);
  c.mxcsr = m;
  std::memcpy(c.xmm, img + kXmmOff, 16 * n);
}

const InsnRow kRows[] = {
    VTLAB_SSE_ROW(LDMXCSR, ldmxcsr),
    VTLAB_SSE_ROW(STMXCSR, stmxcsr),
    VTLAB_SSE_ROW(FXSAVE, fxsave),
    VTLAB_SSE_ROW(FXSAVE64, fxsave),
    VTLAB_SSE_ROW(FXRSTOR, fxrstor),
    VTLAB_SSE_ROW(FXRSTOR64, fxrstor),
};

}  // namespace

std::span<const InsnRow> state_rows() { return kRows; }

}  // namespace vtlab::sse
