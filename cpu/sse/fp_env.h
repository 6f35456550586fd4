// SSE floating point, executed by the host's own SSE unit under the guest's
// MXCSR. IEEE-754 operations (and the x86 rules for NaNs, DAZ/FTZ, MIN/MAX,
// integer indefinite) are exactly specified, so running the same
// instruction on the x86-64 host gives the guest's bits and flags on any
// host; this is the one place that does it, so a software implementation
// can replace it later.
//
// Each host call is one asm block: save host MXCSR, load the guest's
// control bits with every exception masked and the flags clear, run the
// instruction, read the flags, restore. The compiler cannot move the
// operation out of that window. Unmasked exceptions are decided afterwards
// from the flags (finish()).
//
// RCPPS/RSQRTPS are NOT done here: their bits differ between Intel and AMD
// (cpu/sse/approx.h computes them in software).
#pragma once
#include <emmintrin.h>

#include <cstring>

#include "cpu/cpu.h"

namespace vtlab::sse {

namespace mx {
inline constexpr u32 IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32, kFlags = 0x3f;
inline constexpr u32 DAZ = 1 << 6, kMaskShift = 7, kMasks = 0x1f80, OM = OE << kMaskShift, UM = UE << kMaskShift;
inline constexpr u32 RC = 3 << 13, FTZ = 1 << 15;
inline constexpr u32 kPreComputation = IE | DE | ZE;  // SDM Vol. 1 §11.5.1
// Writable bits: MXCSR_MASK as FXSAVE reports it (DAZ supported).
inline constexpr u32 kMask = 0xffff;
}  // namespace mx

// The MXCSR the host runs a guest operation under: the guest's rounding
// control and DAZ, all exceptions masked, flags clear. FTZ applies only
// while underflow is masked (SDM Vol. 1 §10.2.3.3), and with UM=0 the
// result must show whether it was tiny, so FTZ is dropped then.
inline u32 host_csr(u32 guest) {
  u32 v = (guest & (mx::DAZ | mx::RC | mx::FTZ)) | mx::kMasks;
  if (!(guest & mx::UM)) v &= ~mx::FTZ;
  return v;
}

// Ends a floating-point instruction whose operations raised `flags` (all
// elements ORed): SDM Vol. 1 §11.5.1-11.5.2. If an unmasked
// pre-computation exception (#I #D #Z) occurred, only the pre-computation
// flags are recorded (post-computation ones are never reached); then, if
// anything raised is unmasked, #XM (CR4.OSXMMEXCPT=1) or #UD, with the
// destination not written (the caller writes it only after this returns).
inline void finish(Cpu& c, u32 flags) {
  u32 unmasked = flags & ~(c.mxcsr >> mx::kMaskShift) & mx::kFlags;
  if (unmasked & mx::kPreComputation) flags &= mx::kPreComputation;
  c.mxcsr |= flags;
  if (unmasked) c.raise((c.cr4 & cr4::OSXMMEXCPT) ? kXM : kUD);
}

namespace host {

inline __m128i vec(const Xmm& x) {
  __m128i v;
  std::memcpy(&v, &x, 16);
  return v;
}
inline Xmm xmm(__m128i v) {
  Xmm x;
  std::memcpy(&x, &v, 16);
  return x;
}

using Fn = u32 (*)(u32 csr, Xmm& d, const Xmm& s);

#define VTLAB_HOST_PROLOGUE "stmxcsr %[saved]\n\tldmxcsr %[csr]\n\t"
#define VTLAB_HOST_EPILOGUE "\n\tstmxcsr %[out]\n\tldmxcsr %[saved]"

// "insn s, d" on XMM registers: d = op(d, s); returns the flags raised.
#define VTLAB_HOST_XX(name)                                                                              \
  inline u32 name(u32 csr, Xmm& d, const Xmm& s) {                                                        \
    __m128i vd = vec(d), vs = vec(s);                                                                     \
    u32 saved, out;                                                                                       \
    asm volatile(VTLAB_HOST_PROLOGUE #name " %[vs], %[vd]" VTLAB_HOST_EPILOGUE                            \
                 : [vd] "+x"(vd), [saved] "=&m"(saved), [out] "=&m"(out)                                  \
                 : [vs] "x"(vs), [csr] "m"(csr));                                                         \
    d = xmm(vd);                                                                                          \
    return out & mx::kFlags;                                                                              \
  }

// CMPxx with the predicate as an immediate.
#define VTLAB_HOST_CMP(name)                                                                              \
  template <int P>                                                                                        \
  u32 name(u32 csr, Xmm& d, const Xmm& s) {                                                               \
    __m128i vd = vec(d), vs = vec(s);                                                                     \
    u32 saved, out;                                                                                       \
    asm volatile(VTLAB_HOST_PROLOGUE #name " %[p], %[vs], %[vd]" VTLAB_HOST_EPILOGUE                      \
                 : [vd] "+x"(vd), [saved] "=&m"(saved), [out] "=&m"(out)                                  \
                 : [vs] "x"(vs), [csr] "m"(csr), [p] "i"(P));                                             \
    d = xmm(vd);                                                                                          \
    return out & mx::kFlags;                                                                              \
  }

// Integer -> scalar FP: d.lane0 = convert(g) (G is u32 or u64: the
// instruction's operand size comes from the register name).
#define VTLAB_HOST_FROM_GPR(name)                                                                         \
  template <typename G>                                                                                   \
  u32 name(u32 csr, Xmm& d, G g) {                                                                        \
    __m128i vd = vec(d);                                                                                  \
    u32 saved, out;                                                                                       \
    asm volatile(VTLAB_HOST_PROLOGUE #name " %[g], %[vd]" VTLAB_HOST_EPILOGUE                             \
                 : [vd] "+x"(vd), [saved] "=&m"(saved), [out] "=&m"(out)                                  \
                 : [g] "r"(g), [csr] "m"(csr));                                                           \
    d = xmm(vd);                                                                                          \
    return out & mx::kFlags;                                                                              \
  }

// Scalar FP -> integer register.
#define VTLAB_HOST_TO_GPR(name)                                                                           \
  template <typename G>                                                                                   \
  u32 name(u32 csr, const Xmm& s, G& g) {                                                                 \
    __m128i vs = vec(s);                                                                                  \
    u32 saved, out;                                                                                       \
    asm volatile(VTLAB_HOST_PROLOGUE #name " %[vs], %[g]" VTLAB_HOST_EPILOGUE                             \
                 : [g] "=r"(g), [saved] "=&m"(saved), [out] "=&m"(out)                                    \
                 : [vs] "x"(vs), [csr] "m"(csr));                                                         \
    return out & mx::kFlags;                                                                              \
  }

// (U)COMISx: returns the flags raised; `eflags` gets ZF/PF/CF.
#define VTLAB_HOST_COMI(name)                                                                             \
  inline u32 name(u32 csr, const Xmm& a, const Xmm& b, u64& eflags) {                                     \
    __m128i va = vec(a), vb = vec(b);                                                                     \
    u32 saved, out;                                                                                       \
    bool z, p, cf;                                                                                        \
    asm volatile(VTLAB_HOST_PROLOGUE #name " %[vb], %[va]" VTLAB_HOST_EPILOGUE                            \
                 : "=@ccz"(z), "=@ccp"(p), "=@ccc"(cf), [saved] "=&m"(saved), [out] "=&m"(out)            \
                 : [va] "x"(va), [vb] "x"(vb), [csr] "m"(csr));                                           \
    eflags = (z ? fl::ZF : 0) | (p ? fl::PF : 0) | (cf ? fl::CF : 0);                                     \
    return out & mx::kFlags;                                                                              \
  }

#define VTLAB_HOST_XX_LIST(X)                                                                             \
  X(addps) X(addss) X(addpd) X(addsd) X(subps) X(subss) X(subpd) X(subsd)                                 \
  X(mulps) X(mulss) X(mulpd) X(mulsd) X(divps) X(divss) X(divpd) X(divsd)                                 \
  X(sqrtps) X(sqrtss) X(sqrtpd) X(sqrtsd) X(minps) X(minss) X(minpd) X(minsd)                             \
  X(maxps) X(maxss) X(maxpd) X(maxsd)                                                                     \
  X(cvtps2pd) X(cvtpd2ps) X(cvtdq2ps) X(cvtdq2pd) X(cvtps2dq) X(cvttps2dq) X(cvtpd2dq) X(cvttpd2dq)       \
  X(cvtss2sd) X(cvtsd2ss)

VTLAB_HOST_XX_LIST(VTLAB_HOST_XX)
VTLAB_HOST_CMP(cmpps)
VTLAB_HOST_CMP(cmppd)
VTLAB_HOST_CMP(cmpss)
VTLAB_HOST_CMP(cmpsd)
VTLAB_HOST_FROM_GPR(cvtsi2ss)
VTLAB_HOST_FROM_GPR(cvtsi2sd)
VTLAB_HOST_TO_GPR(cvtss2si)
VTLAB_HOST_TO_GPR(cvttss2si)
VTLAB_HOST_TO_GPR(cvtsd2si)
VTLAB_HOST_TO_GPR(cvttsd2si)
VTLAB_HOST_COMI(comiss)
VTLAB_HOST_COMI(ucomiss)
VTLAB_HOST_COMI(comisd)
VTLAB_HOST_COMI(ucomisd)

#undef VTLAB_HOST_XX
#undef VTLAB_HOST_CMP
#undef VTLAB_HOST_FROM_GPR
#undef VTLAB_HOST_TO_GPR
#undef VTLAB_HOST_COMI
#undef VTLAB_HOST_PROLOGUE
#undef VTLAB_HOST_EPILOGUE

}  // namespace host
}  // namespace vtlab::sse
