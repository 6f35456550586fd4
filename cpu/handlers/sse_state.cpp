// MXCSR and the FXSAVE area: LDMXCSR, STMXCSR, FXSAVE/FXRSTOR and their
// REX.W forms FXSAVE64/FXRSTOR64 (SDM Vol. 2 FXSAVE, Vol. 1 §10.5.1). The
// region's layout is cpu/fpu_state.h's (shared with XSAVE); REX.W only
// changes how FIP/FDP are laid out (64-bit offsets vs. 32-bit offset +
// selector).
#include "cpu/fpu_state.h"
#include "cpu/sse/fp_env.h"
#include "cpu/sse/sse.h"

namespace vtlab::sse {
namespace {

constexpr unsigned kAreaSize = kLegacyRegionSize;

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

template <bool RexW>
void fxsave(Cpu& c, const Insn& i) {
  fx_check(c);
  u64 lin = mem_addr(c, i, kAreaSize, Access::Write, Align::Required);
  c.probe_write(lin, kAreaSize);  // the whole area is the operand
  u8 img[kLegacyRegionSize];
  save_x87_legacy(c, img, RexW);
  save_sse_legacy(c, img);
  // Bytes past the XMM registers (reserved, and 464-511 for software) are
  // left as they are.
  c.write_block(lin, img, kXmmOffset + 16 * xmm_count(c));
}

template <bool RexW>
void fxrstor(Cpu& c, const Insn& i) {
  fx_check(c);
  u64 lin = mem_addr(c, i, kAreaSize, Access::Read, Align::Required);
  u8 img[kLegacyRegionSize];
  c.read_block(lin, img, kXmmOffset + 16 * xmm_count(c));
  if (!legacy_mxcsr_valid(img)) c.raise(kGP, 0);
  load_sse_legacy(c, img);
  load_x87_legacy(c, img, RexW);
}

const InsnRow kRows[] = {
    VTLAB_SSE_ROW(LDMXCSR, ldmxcsr),
    VTLAB_SSE_ROW(STMXCSR, stmxcsr),
    VTLAB_SSE_ROW(FXSAVE, fxsave<false>),
    VTLAB_SSE_ROW(FXSAVE64, fxsave<true>),
    VTLAB_SSE_ROW(FXRSTOR, fxrstor<false>),
    VTLAB_SSE_ROW(FXRSTOR64, fxrstor<true>),
};

}  // namespace

std::span<const InsnRow> state_rows() { return kRows; }

}  // namespace vtlab::sse
