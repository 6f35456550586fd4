// The CR0/CR4 conditions of SSE3, SSSE3, SSE4.1, SSE4.2, AES-NI and
// PCLMULQDQ, which a user-mode native run cannot show (SDM Vol. 3A
// §13.1.4, Vol. 2 "Exceptions Type 4/5"): #UD with CR0.EM or without
// CR4.OSFXSR, then #NM with CR0.TS; unmasked SIMD exceptions give #XM only
// with CR4.OSXMMEXCPT (else #UD). CRC32 and POPCNT use no SIMD state and
// ignore all of these. The MMX forms of SSSE3 decode to #UD (no MMX yet).
#include <doctest/doctest.h>

#include <vector>

#include "tests/sse/rig.h"
#include "tests/sse/values.h"

namespace sse_test {
namespace {

using vtlab::cr0::EM;
using vtlab::cr0::TS;
using vtlab::cr4::OSFXSR;
using vtlab::cr4::OSXMMEXCPT;

Rig& rig() {
  static Rig r;
  return r;
}

u8 vector_of(const insn::Outcome& o) { return o.exception ? o.exception->vector : 0xff; }

insn::Case with(std::vector<u8> bytes) {
  insn::Case c = make_case("t", std::move(bytes));
  c.init.gpr[insn::R15] = insn::kDataBase + 0x1000;
  return c;
}

// One form of each new group, register and memory operands.
const std::vector<std::vector<u8>> kSimd = {
    {0xf2, 0x0f, 0x7c, 0xca},              // haddps xmm1, xmm2 (SSE3)
    {0xf2, 0x41, 0x0f, 0xf0, 0x0f},        // lddqu xmm1, [r15] (SSE3)
    {0x66, 0x0f, 0x38, 0x00, 0xca},        // pshufb xmm1, xmm2 (SSSE3)
    {0x66, 0x0f, 0x3a, 0x0f, 0xca, 0x03},  // palignr xmm1, xmm2, 3 (SSSE3)
    {0x66, 0x0f, 0x38, 0x17, 0xca},        // ptest xmm1, xmm2 (SSE4.1)
    {0x66, 0x0f, 0x3a, 0x08, 0xca, 0x01},  // roundps xmm1, xmm2, 1 (SSE4.1)
    {0x66, 0x0f, 0x3a, 0x16, 0xc8, 0x01},  // pextrd eax, xmm1, 1 (SSE4.1)
    {0x66, 0x41, 0x0f, 0x38, 0x2a, 0x0f},  // movntdqa xmm1, [r15] (SSE4.1)
    {0x66, 0x0f, 0x3a, 0x63, 0xca, 0x0c},  // pcmpistri xmm1, xmm2, 0x0c (SSE4.2)
    {0x66, 0x0f, 0x38, 0x37, 0xca},        // pcmpgtq xmm1, xmm2 (SSE4.2)
    {0x66, 0x0f, 0x38, 0xdc, 0xca},        // aesenc xmm1, xmm2 (AES)
    {0x66, 0x0f, 0x3a, 0xdf, 0xca, 0x01},  // aeskeygenassist xmm1, xmm2, 1 (AES)
    {0x66, 0x0f, 0x3a, 0x44, 0xca, 0x11},  // pclmulqdq xmm1, xmm2, 0x11
};
const std::vector<u8> kCrc32 = {0xf2, 0x0f, 0x38, 0xf1, 0xc1};  // crc32 eax, ecx
const std::vector<u8> kPopcnt = {0xf3, 0x0f, 0xb8, 0xc1};       // popcnt eax, ecx

TEST_CASE("SSE3-SSE4.2, AES, PCLMULQDQ run in the normal state") {
  for (const auto& b : kSimd) CHECK_MESSAGE(vector_of(rig().run(with(b))) == 0xff, "opcode byte " << int(b[3]));
}

TEST_CASE("CR0.EM or CR4.OSFXSR=0: #UD; CR0.TS: #NM; #UD outranks #NM") {
  for (const auto& b : kSimd) {
    CAPTURE(int(b[3]));
    CHECK(vector_of(rig().run(with(b), RigControl{.cr0_set = EM})) == vtlab::kUD);
    CHECK(vector_of(rig().run(with(b), RigControl{.cr4_clear = OSFXSR})) == vtlab::kUD);
    CHECK(vector_of(rig().run(with(b), RigControl{.cr0_set = TS})) == vtlab::kNM);
    CHECK(vector_of(rig().run(with(b), RigControl{.cr0_set = EM | TS})) == vtlab::kUD);
  }
}

TEST_CASE("CRC32 and POPCNT ignore CR0.EM, CR0.TS and CR4.OSFXSR") {
  for (const auto& b : {kCrc32, kPopcnt})
    for (const RigControl& ctl : {RigControl{.cr0_set = EM | TS}, RigControl{.cr4_clear = OSFXSR}}) {
      insn::Case c = with(b);
      c.init.gpr[insn::RCX] = 0x12345678;
      insn::Outcome o = rig().run(c, ctl);
      CHECK(!o.exception);
      // CRC-32C of 78 56 34 12 from 0, without inversions (computed from the definition).
      CHECK(o.state.gpr[insn::RAX] == (b == kCrc32 ? 0xfa745634u : 13u));
    }
}

TEST_CASE("unmasked SIMD exceptions of the new instructions: #XM with OSXMMEXCPT, else #UD, destination kept") {
  // roundps xmm1, xmm2, 0 on an SNaN with IM=0; dpps xmm1, xmm2, 0xff with
  // an overflowing product and OM=0; haddpd with PM=0 and an inexact sum.
  struct T {
    std::vector<u8> bytes;
    u32 mxcsr, flag;
    u64 x1lo, x1hi, x2lo, x2hi;
  };
  const T cases[] = {
      {{0x66, 0x0f, 0x3a, 0x08, 0xca, 0x00}, 0x1f00, 0x01, 0, 0, 0x7f800001, 0},
      {{0x66, 0x0f, 0x3a, 0x40, 0xca, 0xff}, 0x1b80, 0x08, 0x7f000000, 0, 0x7f000000, 0},  // exact: OE alone
      {{0x66, 0x0f, 0x7c, 0xca}, 0x0f80, 0x20, 0x3ff0000000000000ull, 0x3ca0000000000001ull, 0, 0},
  };
  for (const T& t : cases)
    for (bool osxmm : {true, false}) {
      insn::Case c = with(t.bytes);
      c.init.mxcsr = t.mxcsr;
      set_xmm(c.init, 1, t.x1lo, t.x1hi);
      set_xmm(c.init, 2, t.x2lo, t.x2hi);
      RigControl ctl;
      if (!osxmm) ctl.cr4_clear = OSXMMEXCPT;
      insn::Outcome o = rig().run(c, ctl);
      CAPTURE(int(t.bytes[3]));
      CHECK(vector_of(o) == (osxmm ? vtlab::kXM : vtlab::kUD));
      CHECK(o.state.mxcsr == (t.mxcsr | t.flag));
      CHECK(xmm_lo(o.state, 1) == t.x1lo);
      CHECK(xmm_hi(o.state, 1) == t.x1hi);
    }
}

// The MMX forms follow the MMX rules (SDM Vol. 3B Table 22-7): CR4.OSFXSR
// does not matter; #UD with CR0.EM, #NM with CR0.TS. Their results are in
// tests/insn/cases/ssse3_mmx.txt.
TEST_CASE("SSSE3 MMX forms: CR0.EM #UD, CR0.TS #NM, CR4.OSFXSR ignored") {
  for (const auto& b : std::vector<std::vector<u8>>{{0x0f, 0x38, 0x00, 0xc1},           // pshufb mm0, mm1
                                                    {0x0f, 0x38, 0x1c, 0xc1},           // pabsb mm0, mm1
                                                    {0x0f, 0x3a, 0x0f, 0xc1, 0x02}}) {  // palignr mm0, mm1, 2
    CHECK(vector_of(rig().run(with(b), RigControl{.cr4_clear = OSFXSR})) == 0xff);
    CHECK(vector_of(rig().run(with(b), RigControl{.cr0_set = EM})) == vtlab::kUD);
    CHECK(vector_of(rig().run(with(b), RigControl{.cr0_set = TS})) == vtlab::kNM);
  }
}

}  // namespace
}  // namespace sse_test
