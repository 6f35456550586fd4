// Runs one x87 instruction on this machine's FPU for the differential tests:
// FNINIT, FLDCW, load the operands (FLD m80 takes any bit pattern and
// raises nothing), the instruction, then FNSAVE, which stores the whole
// state without waiting (an unmasked exception stays pending in FSW.ES and
// FNSAVE's re-initialisation drops it, so no #MF reaches this process).
#pragma once
#include <cstring>

#include "cpu/x87/float80.h"

namespace x87_test {

using vtlab::u16;
using vtlab::u32;
using vtlab::u64;
using vtlab::u8;
using vtlab::x87::F80;

struct HostState {
  F80 st[8];          // ST(0)..ST(7)
  u16 fcw, fsw, ftw;  // ftw: the full tag word (FNSAVE)
};

// The FNSAVE image (32-bit layout, 108 bytes) as a HostState.
inline HostState parse_fnsave(const u8* img) {
  HostState s;
  std::memcpy(&s.fcw, img + 0, 2);
  std::memcpy(&s.fsw, img + 4, 2);
  std::memcpy(&s.ftw, img + 8, 2);
  for (int i = 0; i < 8; ++i) {
    std::memcpy(&s.st[i].sig, img + 28 + 10 * i, 8);
    std::memcpy(&s.st[i].se, img + 36 + 10 * i, 2);
  }
  return s;
}

struct alignas(16) Operand80 {
  u64 sig;
  u16 se;
  u8 pad[6];
};

// "fld b; fld a; INSN; fnsave": ST0 = a, ST1 = b when INSN runs.
#define X87_TEST_HOST_OP2(name, insn)                                                           \
  inline HostState name(F80 a, F80 b, u16 fcw) {                                                \
    Operand80 oa{a.sig, a.se, {}}, ob{b.sig, b.se, {}};                                         \
    alignas(16) u8 img[108];                                                                    \
    asm volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" insn "\n\tfnsave %[img]" \
                 : [img] "=m"(img)                                                              \
                 : [a] "m"(oa), [b] "m"(ob), [cw] "m"(fcw)                                      \
                 : "memory");                                                                   \
    return parse_fnsave(img);                                                                   \
  }

X87_TEST_HOST_OP2(host_fadd, "fadd %%st(1), %%st")
X87_TEST_HOST_OP2(host_fsub, "fsub %%st(1), %%st")
X87_TEST_HOST_OP2(host_fmul, "fmul %%st(1), %%st")
X87_TEST_HOST_OP2(host_fdiv, "fdiv %%st(1), %%st")
X87_TEST_HOST_OP2(host_fsqrt, "fsqrt")
X87_TEST_HOST_OP2(host_frndint, "frndint")
X87_TEST_HOST_OP2(host_fscale, "fscale")
X87_TEST_HOST_OP2(host_fxtract, "fxtract")
X87_TEST_HOST_OP2(host_fprem, "fprem")
X87_TEST_HOST_OP2(host_fprem1, "fprem1")
X87_TEST_HOST_OP2(host_fcom, "fcom %%st(1)")
X87_TEST_HOST_OP2(host_fucom, "fucom %%st(1)")
X87_TEST_HOST_OP2(host_fsin, "fsin")
X87_TEST_HOST_OP2(host_fcos, "fcos")
X87_TEST_HOST_OP2(host_fsincos, "fsincos")
X87_TEST_HOST_OP2(host_fptan, "fptan")
X87_TEST_HOST_OP2(host_fpatan, "fpatan")
X87_TEST_HOST_OP2(host_f2xm1, "f2xm1")
X87_TEST_HOST_OP2(host_fyl2x, "fyl2x")
X87_TEST_HOST_OP2(host_fyl2xp1, "fyl2xp1")

#undef X87_TEST_HOST_OP2

// Stores: "fld a; INSN out; fnsave". `out` starts as `fill` (an unmasked
// exception stores nothing).
#define X87_TEST_HOST_STORE(name, T, insn)                                                \
  inline HostState name(F80 a, u16 fcw, T& out, T fill) {                                 \
    Operand80 oa{a.sig, a.se, {}};                                                        \
    alignas(16) u8 img[108];                                                              \
    out = fill;                                                                           \
    asm volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" insn " %[out]\n\tfnsave %[img]" \
                 : [img] "=m"(img), [out] "+m"(out)                                       \
                 : [a] "m"(oa), [cw] "m"(fcw)                                             \
                 : "memory");                                                             \
    return parse_fnsave(img);                                                             \
  }
X87_TEST_HOST_STORE(host_fst32, u32, "fsts")
X87_TEST_HOST_STORE(host_fst64, u64, "fstl")
X87_TEST_HOST_STORE(host_fist16, u16, "fists")
X87_TEST_HOST_STORE(host_fist32, u32, "fistl")
X87_TEST_HOST_STORE(host_fistp64, u64, "fistpll")
X87_TEST_HOST_STORE(host_fisttp16, u16, "fisttps")
X87_TEST_HOST_STORE(host_fisttp32, u32, "fisttpl")
X87_TEST_HOST_STORE(host_fisttp64, u64, "fisttpll")
#undef X87_TEST_HOST_STORE

struct Bcd {
  u8 b[10];
};
inline HostState host_fbstp(F80 a, u16 fcw, Bcd& out, Bcd fill) {
  Operand80 oa{a.sig, a.se, {}};
  alignas(16) u8 img[108];
  out = fill;
  asm volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\tfbstp %[out]\n\tfnsave %[img]"
               : [img] "=m"(img), [out] "+m"(out)
               : [a] "m"(oa), [cw] "m"(fcw)
               : "memory");
  return parse_fnsave(img);
}

// Loads: "INSN m; fnsave".
#define X87_TEST_HOST_LOAD(name, T, insn)                                  \
  inline HostState name(T v, u16 fcw) {                                    \
    alignas(16) u8 img[108];                                               \
    asm volatile("fninit\n\tfldcw %[cw]\n\t" insn " %[v]\n\tfnsave %[img]" \
                 : [img] "=m"(img)                                         \
                 : [v] "m"(v), [cw] "m"(fcw)                               \
                 : "memory");                                              \
    return parse_fnsave(img);                                              \
  }
X87_TEST_HOST_LOAD(host_fld32, u32, "flds")
X87_TEST_HOST_LOAD(host_fld64, u64, "fldl")
X87_TEST_HOST_LOAD(host_fbld, Bcd, "fbld")
#undef X87_TEST_HOST_LOAD

}  // namespace x87_test
