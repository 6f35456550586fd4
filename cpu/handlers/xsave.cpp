// The XSAVE feature set (SDM Vol. 1 Chapter 13, Vol. 2 XSAVE ... XSETBV)
// for the state components this CPU model supports, x87 (0) and SSE (1):
// XGETBV, XSETBV, XSAVE, XSAVEOPT, XSAVEC, XRSTOR (and their REX.W forms).
// XSAVES/XRSTORS are outside this CPU model: CPUID.(EAX=0DH,ECX=1):EAX[3] is 0
// and there is no IA32_XSS, so they are #UD, as on a processor without them.
//
// Both components live in the 512-byte legacy region, so every XSAVE area
// is that region plus the 64-byte header (576 bytes, CPUID.(EAX=0DH)) in
// either format; the compacted format differs only in the header.
//
// XINUSE (§13.6) is computed, not tracked: a component is "in use" exactly
// when it is not in its initial configuration. The SDM allows that (XINUSE
// may be 0 only for a component in its initial configuration), needs no
// extra state, and is the same on every host. XSAVEOPT does not use the
// modified optimization (it is optional): it always writes what XINUSE
// says it may.
#include "cpu/cpuid_table.h"
#include "cpu/fpu_state.h"
#include "cpu/sse/fp_env.h"
#include "cpu/sse/sse.h"
#include "cpu/vmx/intercepts.h"

namespace vtlab::sse {
namespace {

constexpr unsigned kXstateBvOff = 512, kXcompBvOff = 520;
constexpr u64 kCompacted = u64(1) << 63;
constexpr u32 kMxcsrInit = 0x1f80;

// #UD without CR4.OSXSAVE, then #NM with CR0.TS (CR0.EM does not matter:
// SDM Vol. 2 XSAVE "Protected Mode Exceptions").
void require_xsave(Cpu& c) {
  if (!(c.cr4 & cr4::OSXSAVE)) c.raise(kUD);
  if (c.cr0 & cr0::TS) c.raise(kNM);
}

// The requested-feature bitmap: EDX:EAX AND XCR0.
u64 rfbm(const Cpu& c) { return ((c.gpr[RDX] << 32) | u32(c.gpr[RAX])) & c.xcr0; }

// The area's linear address; it must be 64-byte aligned (#GP(0)).
u64 area_address(Cpu& c, const Insn& i, Access acc) {
  const u64 lin = c.mem_linear(i, kXsaveAreaSize, acc);
  if (lin & 63) c.raise(kGP, 0);
  return lin;
}

// XMM registers that are part of SSE state: XMM8-15 only in 64-bit mode.
unsigned xmm_count(const Cpu& c) { return c.long64() ? 16 : 8; }
bool rex_w(const Insn& i) { return i.opsize == 8; }

template <typename T>
T get(const u8* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
void put(u8* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

// XINUSE for x87 and SSE: not in the initial configuration (§13.6). For
// SSE only the XMM registers count, not MXCSR.
u64 xinuse(const Cpu& c) {
  u64 r = x87_in_initial_configuration(c) ? 0 : kXcr0X87;
  for (unsigned k = 0; k < xmm_count(c); ++k)
    if (c.xmm[k].lo | c.xmm[k].hi) r |= kXcr0Sse;
  return r;
}

// The parts of an area an instruction writes, filled into `img`.
struct Parts {
  bool x87 = false, mxcsr = false, xmm = false, xcomp = false;
};

// Writes the chosen parts of the image (everything already probed).
void store_parts(Cpu& c, u64 lin, const u8* img, const Parts& p, unsigned nxmm) {
  if (p.x87) {
    c.write_block(lin, img, kFpuLegacyHead);
    c.write_block(lin + kFpuRegsOffset, img + kFpuRegsOffset, kFpuRegsEnd - kFpuRegsOffset);
  }
  if (p.mxcsr) c.write_block(lin + kMxcsrOffset, img + kMxcsrOffset, 8);
  if (p.xmm) c.write_block(lin + kXmmOffset, img + kXmmOffset, 16 * nxmm);
  c.write_block(lin + kXstateBvOff, img + kXstateBvOff, p.xcomp ? 16 : 8);
}

enum class Save : u8 { Standard, Opt, Compacted };

// XSAVE (§13.7), XSAVEOPT (§13.9), XSAVEC (§13.10). The whole area is
// checked for writability first, so a fault leaves memory as it was.
template <Save K>
void xsave(Cpu& c, const Insn& i) {
  require_xsave(c);
  const u64 lin = area_address(c, i, Access::Write);
  c.probe_write(lin, kXsaveAreaSize);
  const u64 rf = rfbm(c), inuse = xinuse(c);
  const unsigned nxmm = xmm_count(c);
  u8 img[kXsaveAreaSize] = {};
  save_x87_legacy(c, img, rex_w(i));
  save_sse_legacy(c, img);

  Parts p;
  u64 bv;
  if constexpr (K == Save::Compacted) {
    // SSE state is saved (and XSTATE_BV[1] set) also when only MXCSR
    // differs from its initial value (Vol. 2 XSAVEC footnotes 1 and 3).
    const bool sse = (rf & kXcr0Sse) && ((inuse & kXcr0Sse) || c.mxcsr != kMxcsrInit);
    p.x87 = (rf & kXcr0X87) && (inuse & kXcr0X87);
    p.mxcsr = p.xmm = sse;
    p.xcomp = true;
    bv = (inuse & rf & kXcr0X87) | (sse ? kXcr0Sse : 0);
    put<u64>(img + kXcompBvOff, rf | kCompacted);
  } else {
    const bool opt = K == Save::Opt;  // the init optimization
    p.x87 = (rf & kXcr0X87) && (!opt || (inuse & kXcr0X87));
    p.xmm = (rf & kXcr0Sse) && (!opt || (inuse & kXcr0Sse));
    p.mxcsr = rf & kXcr0Sse;
    // Bits outside RFBM keep their value (the header is read back).
    bv = (c.read_lin<u64>(lin + kXstateBvOff) & ~rf) | (inuse & rf);
  }
  put<u64>(img + kXstateBvOff, bv);
  store_parts(c, lin, img, p, nxmm);
}

// XRSTOR (§13.8), standard or compacted form by XCOMP_BV[63]. Every check
// (header, MXCSR) is made before any state changes.
void xrstor(Cpu& c, const Insn& i) {
  require_xsave(c);
  const u64 lin = area_address(c, i, Access::Read);
  u8 img[kXsaveAreaSize];
  c.read_block(lin, img, kXsaveAreaSize);
  const u64 rf = rfbm(c), xstate_bv = get<u64>(img + kXstateBvOff), xcomp_bv = get<u64>(img + kXcompBvOff);
  const bool compacted = xcomp_bv & kCompacted;
  // Header rules (Vol. 2 XRSTOR "Protected Mode Exceptions").
  if (compacted) {
    if (xcomp_bv & ~kCompacted & ~c.xcr0) c.raise(kGP, 0);
    if (xstate_bv & ~xcomp_bv) c.raise(kGP, 0);
    for (unsigned k = 16; k < 64; ++k)
      if (img[kXstateBvOff + k]) c.raise(kGP, 0);
  } else {
    if (xstate_bv & ~c.xcr0) c.raise(kGP, 0);
    for (unsigned k = 8; k < 24; ++k)
      if (img[kXstateBvOff + k]) c.raise(kGP, 0);
  }
  // MXCSR: the standard form loads it whenever RFBM[1] is set; the
  // compacted form only with XSTATE_BV[1], and initializes it otherwise.
  u32 mxcsr = c.mxcsr;
  if (rf & kXcr0Sse) {
    mxcsr = (!compacted || (xstate_bv & kXcr0Sse)) ? get<u32>(img + kMxcsrOffset) : kMxcsrInit;
    if (mxcsr & ~mx::kMask) c.raise(kGP, 0);
  }
  if (rf & kXcr0X87) {
    if (xstate_bv & kXcr0X87)
      load_x87_legacy(c, img, rex_w(i));
    else
      init_x87_state(c);
  }
  if (rf & kXcr0Sse) {
    const unsigned nxmm = xmm_count(c);
    if (xstate_bv & kXcr0Sse)
      std::memcpy(c.xmm, img + kXmmOffset, 16 * nxmm);
    else
      std::memset(c.xmm, 0, 16 * nxmm);
    c.mxcsr = mxcsr;
  }
}

// XGETBV: ECX = 0 reads XCR0; ECX = 1 (CPUID.(EAX=0DH,ECX=1):EAX[2])
// reads XCR0 AND XINUSE; anything else is #GP(0).
void xgetbv(Cpu& c, const Insn&) {
  if (!(c.cr4 & cr4::OSXSAVE)) c.raise(kUD);
  u64 v;
  switch (u32(c.gpr[RCX])) {
    case 0:
      v = c.xcr0;
      break;
    case 1:
      v = c.xcr0 & xinuse(c);
      break;
    default:
      c.raise(kGP, 0);
  }
  c.gpr[RAX] = u32(v), c.gpr[RDX] = v >> 32;
}

// XSETBV: CPL 0 only (virtual-8086 mode runs at CPL 3), ECX = 0, and the
// value must set bit 0 and only supported components (SDM Vol. 2 XSETBV,
// Vol. 1 §13.3): otherwise #GP(0).
void xsetbv(Cpu& c, const Insn& i) {
  if (!(c.cr4 & cr4::OSXSAVE)) c.raise(kUD);
  if (c.cpl != 0 || c.v86()) c.raise(kGP, 0);
  if (c.vmx_non_root()) vmx::exit_always(c, i, vmx::ExitReason::XSETBV);
  const u64 v = (c.gpr[RDX] << 32) | u32(c.gpr[RAX]);
  if (u32(c.gpr[RCX]) != 0 || (v & ~kXcr0Supported) || !(v & kXcr0X87)) c.raise(kGP, 0);
  c.xcr0 = v;
}

const InsnRow kRows[] = {
    VTLAB_SSE_ROW(XSAVE, xsave<Save::Standard>),
    VTLAB_SSE_ROW(XSAVE64, xsave<Save::Standard>),
    VTLAB_SSE_ROW(XSAVEOPT, xsave<Save::Opt>),
    VTLAB_SSE_ROW(XSAVEOPT64, xsave<Save::Opt>),
    VTLAB_SSE_ROW(XSAVEC, xsave<Save::Compacted>),
    VTLAB_SSE_ROW(XSAVEC64, xsave<Save::Compacted>),
    VTLAB_SSE_ROW(XRSTOR, xrstor),
    VTLAB_SSE_ROW(XRSTOR64, xrstor),
    {ZYDIS_MNEMONIC_XGETBV, VTLAB_ONE(xgetbv)},
    {ZYDIS_MNEMONIC_XSETBV, VTLAB_ONE(xsetbv)},
};

}  // namespace
}  // namespace vtlab::sse

namespace vtlab {
std::span<const InsnRow> xsave_rows() { return sse::kRows; }
}  // namespace vtlab
