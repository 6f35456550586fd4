// What a user-mode native run cannot show: the CR0/CR4 conditions (#UD,
// #NM, #XM vs #UD), MMX forms decoding to #UD, the FXSAVE image layout in
// 64-bit and compatibility mode, FXRSTOR/LDMXCSR reserved bits; plus
// targeted native comparisons of the unmasked overflow/underflow rules.
#include <doctest/doctest.h>

#include <cstring>
#include <functional>

#include "cpu/sse/fp_env.h"
#include "tests/insn/native_runner.h"
#include "tests/insn/outcome_diff.h"
#include "tests/sse/rig.h"
#include "tests/sse/values.h"

namespace sse_test {
namespace {

using vtlab::cr0::EM;
using vtlab::cr0::TS;
using vtlab::cr4::OSFXSR;
using vtlab::cr4::OSXMMEXCPT;

constexpr u64 kArea = insn::kDataBase + 0x1000;  // 16-byte aligned

Rig& rig() {
  static Rig r;
  return r;
}

insn::Case with(std::vector<u8> bytes, const std::function<void(insn::Case&)>& setup = {}) {
  insn::Case c = make_case("t", std::move(bytes));
  c.init.gpr[insn::R15] = kArea;
  if (setup) setup(c);
  return c;
}

u8 vector_of(const insn::Outcome& o) { return o.exception ? o.exception->vector : 0xff; }

const std::vector<u8> kAddps = {0x0f, 0x58, 0xca};                // addps xmm1, xmm2
const std::vector<u8> kMovapsLoad = {0x41, 0x0f, 0x28, 0x0f};     // movaps xmm1, [r15]
const std::vector<u8> kLdmxcsr = {0x41, 0x0f, 0xae, 0x17};        // ldmxcsr [r15]
const std::vector<u8> kStmxcsr = {0x41, 0x0f, 0xae, 0x1f};        // stmxcsr [r15]
const std::vector<u8> kFxsave = {0x41, 0x0f, 0xae, 0x07};         // fxsave [r15]
const std::vector<u8> kFxsave64 = {0x49, 0x0f, 0xae, 0x07};       // fxsave64 [r15]
const std::vector<u8> kFxrstor = {0x41, 0x0f, 0xae, 0x0f};        // fxrstor [r15]
const std::vector<u8> kMovnti = {0x41, 0x0f, 0xc3, 0x07};         // movnti [r15], eax
const std::vector<u8> kPxor = {0x66, 0x0f, 0xef, 0xca};           // pxor xmm1, xmm2
const std::vector<u8> kMovdLoad = {0x66, 0x0f, 0x6e, 0xc8};       // movd xmm1, eax

TEST_CASE("CR0.TS: #NM for SSE, LDMXCSR and FXSAVE; MOVNTI unaffected") {
  RigControl ts{.cr0_set = TS};
  for (const auto& b : {kAddps, kMovapsLoad, kLdmxcsr, kStmxcsr, kFxsave, kFxrstor, kPxor, kMovdLoad})
    CHECK(vector_of(rig().run(with(b), ts)) == vtlab::kNM);
  insn::Outcome o = rig().run(with(kMovnti, [](insn::Case& c) { c.init.gpr[insn::RAX] = 0x11223344; }), ts);
  CHECK(!o.exception);
  REQUIRE(o.mem_changes.size() == 1);
  CHECK(o.mem_changes[0].addr == kArea);
}

TEST_CASE("CR0.EM: #UD for SSE and LDMXCSR, #NM for FXSAVE/FXRSTOR") {
  RigControl em{.cr0_set = EM};
  for (const auto& b : {kAddps, kMovapsLoad, kLdmxcsr, kStmxcsr, kPxor})
    CHECK(vector_of(rig().run(with(b), em)) == vtlab::kUD);
  CHECK(vector_of(rig().run(with(kFxsave), em)) == vtlab::kNM);
  CHECK(vector_of(rig().run(with(kFxrstor), em)) == vtlab::kNM);
  // #UD (CR0.EM) outranks #NM (CR0.TS).
  RigControl both{.cr0_set = EM | TS};
  CHECK(vector_of(rig().run(with(kAddps), both)) == vtlab::kUD);
}

TEST_CASE("CR4.OSFXSR=0: #UD for SSE; FXSAVE still works") {
  RigControl no{.cr4_clear = OSFXSR};
  for (const auto& b : {kAddps, kMovapsLoad, kLdmxcsr, kPxor, kMovdLoad})
    CHECK(vector_of(rig().run(with(b), no)) == vtlab::kUD);
  CHECK(!rig().run(with(kFxsave), no).exception);
  CHECK(!rig().run(with(kMovnti), no).exception);
}

TEST_CASE("unmasked exception: #XM with OSXMMEXCPT, else #UD; flags set, destination kept") {
  auto snan_case = [](insn::Case& c) {
    c.init.mxcsr = 0x1f80 & ~0x80u;  // IM=0
    set_xmm(c.init, 1, 0x3f8000007f800001ull, 0x3f8000003f800000ull);  // lane 0: SNaN
    set_xmm(c.init, 2, 0x3f8000003f800000ull, 0x7f7fffff3f800000ull);
  };
  for (bool osxmm : {true, false}) {
    RigControl ctl;
    if (!osxmm) ctl.cr4_clear = OSXMMEXCPT;
    insn::Outcome o = rig().run(with(kAddps, snan_case), ctl);
    CHECK(vector_of(o) == (osxmm ? vtlab::kXM : vtlab::kUD));
    CHECK(o.state.mxcsr == ((0x1f80 & ~0x80u) | 1));
    CHECK(xmm_lo(o.state, 1) == 0x3f8000007f800001ull);
    CHECK(xmm_hi(o.state, 1) == 0x3f8000003f800000ull);
    CHECK(o.exception->rip == insn::kCodeBase);
  }
  // Masked: no fault, QNaN result, IE flag.
  insn::Outcome o = rig().run(with(kAddps, [&](insn::Case& c) {
    snan_case(c);
    c.init.mxcsr = 0x1f80;
  }));
  CHECK(!o.exception);
  CHECK(u32(xmm_lo(o.state, 1)) == 0x7fc00001u);
  CHECK(o.state.mxcsr == 0x1fa1);  // IE from lane 0, PE from lane 3 (1 + FLT_MAX)
}

// Unmasked overflow/underflow: UE for exact tiny results, PE from the
// rounding at unbounded exponent; checked against this CPU.
TEST_CASE("unmasked overflow and underflow flags match the CPU") {
  struct V {
    std::vector<u8> bytes;
    u32 mxcsr;
    u64 a_lo, a_hi, b_lo, b_hi;
  };
  const std::vector<u8> mulss = {0xf3, 0x0f, 0x59, 0xca}, mulps = {0x0f, 0x59, 0xca}, divsd = {0xf2, 0x0f, 0x5e, 0xca},
                        addsd = {0xf2, 0x0f, 0x58, 0xca}, cvtsd2ss = {0xf2, 0x0f, 0x5a, 0xca},
                        cvtpd2ps = {0x66, 0x0f, 0x5a, 0xca}, mulpd = {0x66, 0x0f, 0x59, 0xca};
  const V cases[] = {
      {mulss, 0x1b80, 0x7f000000, 0, 0x40000000, 0},                    // 2^127*2: OE alone
      {mulss, 0x1b80, 0x7f000001, 0, 0x40000001, 0},                    // inexact: OE|PE
      {mulss, 0x1780, 0x0d800000, 0, 0x30800000, 0},                    // 2^-100*2^-30 exact tiny: UE
      {mulss, 0x9780, 0x0d800000, 0, 0x30800000, 0},                    // same, FTZ ignored
      {mulss, 0x1780, 0x00800000, 0, 0x3e000001, 0},                    // exact unbounded, inexact denormal
      {mulss, 0x1f80, 0x00800000, 0, 0x3e000001, 0},                    // masked: UE|PE
      {mulss, 0x1780, 0x0d800001, 0, 0x0d800001, 0},                    // to zero: UE|PE
      {mulps, 0x1b80, 0x3f8000007f000000, 0x3f8000003f800000, 0x3fc0000040000000, 0x3f8000003f800000},
      {mulps, 0x1b80, 0x3f8000017f000000, 0x7f8000013f800000, 0x3fc0000140000000, 0x3f8000003f800000},  // + SNaN
      {mulps, 0x1b00, 0x3f8000017f000000, 0x7f8000013f800000, 0x3fc0000140000000, 0x3f8000003f800000},  // IM=0 too
      {mulps, 0x0b80, 0x0d8000007f000000, 0x3f8000003f800000, 0x3040000040000000, 0x3f8000003f800000},
      {divsd, 0x1b80, 0x7fe0000000000000, 0, 0x3fe0000000000000, 0},    // 2^1023/0.5: OE alone
      {divsd, 0x1b80, 0x7fe0000000000001, 0, 0x3fd5555555555555, 0},    // inexact
      {divsd, 0x1780, 0x0010000000000000, 0, 0x4010000000000000, 0},    // exact tiny
      {divsd, 0x1780, 0x0010000000000000, 0, 0x4008000000000000, 0},    // /3: inexact
      {addsd, 0x1780, 0x0010000000000000, 0, 0x8000000000000001, 0},    // tiny exact sum
      {addsd, 0x1b80, 0x7fefffffffffffff, 0, 0x7ca0000000000000, 0},    // rounds up to overflow
      {addsd, 0x1b80, 0x7fefffffffffffff, 0, 0x7fefffffffffffff, 0},    // exact 2^1025-ish: OE
      {cvtsd2ss, 0x1b80, 0, 0, 0x47f0000000000000, 0},                  // 2^128: OE alone
      {cvtsd2ss, 0x1b80, 0, 0, 0x47f0000000000001, 0},                  // OE|PE
      {cvtsd2ss, 0x1780, 0, 0, 0x3690000000000000, 0},                  // 2^-150: exact tiny
      {cvtsd2ss, 0x1780, 0, 0, 0x3690000000000001, 0},
      {cvtpd2ps, 0x1380, 0, 0, 0x3690000000000000, 0x47f0000000000000},
      {mulpd, 0x1380, 0x0010000000000000, 0x7fe0000000000000, 0x3fe0000000000000, 0x4000000000000000},
  };
  int n = 0;
  for (const V& v : cases) {
    insn::Case c = with(v.bytes, [&](insn::Case& k) {
      k.init.mxcsr = v.mxcsr;
      set_xmm(k.init, 1, v.a_lo, v.a_hi);
      set_xmm(k.init, 2, v.b_lo, v.b_hi);
    });
    insn::Outcome native = insn::run_native(c), interp = rig().run(c);
    std::string d = insn::diff_outcomes(c, native, interp);
    CHECK_MESSAGE(d == "", "case " << n << ": " << d);
    ++n;
  }
}

TEST_CASE("MMX forms of the SSE/SSE2 mnemonics run (cpu/handlers/mmx_*.cpp); invalid register forms stay #UD") {
  const std::vector<std::vector<u8>> mmx = {
      {0x0f, 0x6f, 0xc1},        // movq mm0, mm1
      {0x0f, 0xfc, 0xc1},        // paddb mm0, mm1
      {0x0f, 0x6e, 0xc0},        // movd mm0, eax
      {0x0f, 0x7e, 0xc0},        // movd eax, mm0
      {0xf3, 0x0f, 0xd6, 0xc1},  // movq2dq xmm0, mm1
      {0xf2, 0x0f, 0xd6, 0xc1},  // movdq2q mm0, xmm1
      {0x0f, 0x2a, 0xc1},        // cvtpi2ps xmm0, mm1
      {0x0f, 0x2d, 0xc1},        // cvtps2pi mm0, xmm1
      {0x66, 0x0f, 0x2a, 0xc1},  // cvtpi2pd xmm0, mm1
      {0x0f, 0x70, 0xc1, 0x1b},  // pshufw mm0, mm1, 0x1b
      {0x0f, 0xd7, 0xc1},        // pmovmskb eax, mm1
      {0x0f, 0xc5, 0xc1, 0x01},  // pextrw eax, mm1, 1
      {0x0f, 0xf7, 0xc1},        // maskmovq mm0, mm1
      {0x0f, 0x71, 0xd0, 0x03},  // psrlw mm0, 3
  };
  for (const auto& b : mmx) CHECK_MESSAGE(vector_of(rig().run(with(b))) == 255, "byte 1: " << int(b[1]));
  CHECK(vector_of(rig().run(with({0x66, 0x0f, 0x12, 0xc1}))) == vtlab::kUD);  // movlpd with a register operand
}

TEST_CASE("MOVSD/CMPSD: string forms still dispatch") {
  insn::Case c = with({0xa5}, [](insn::Case& k) {  // movsd dword [rdi], [rsi]
    k.init.gpr[insn::RSI] = insn::kDataBase + 0x10;
    k.init.gpr[insn::RDI] = insn::kDataBase + 0x20;
    k.mem_init.push_back({insn::kDataBase + 0x10, {1, 2, 3, 4}});
  });
  insn::Outcome o = rig().run(c);
  CHECK(insn::diff_outcomes(c, insn::run_native(c), o) == "");
  CHECK(o.state.gpr[insn::RSI] == insn::kDataBase + 0x14);
  insn::Case d = with({0xa7}, [](insn::Case& k) {  // cmpsd
    k.init.gpr[insn::RSI] = insn::kDataBase + 0x10;
    k.init.gpr[insn::RDI] = insn::kDataBase + 0x20;
  });
  CHECK(insn::diff_outcomes(d, insn::run_native(d), rig().run(d)) == "");
}

// ---- FXSAVE / FXRSTOR ----

std::vector<u8> area_after(const insn::Outcome& o, const std::vector<u8>& before) {
  std::vector<u8> img = before;
  for (const auto& m : o.mem_changes)
    for (size_t k = 0; k < m.bytes.size(); ++k)
      if (m.addr + k >= kArea && m.addr + k < kArea + 512) img[m.addr + k - kArea] = m.bytes[k];
  return img;
}

void fill_xmm(insn::Case& c) {
  for (int x = 0; x < 16; ++x)
    for (int b = 0; b < 16; ++b) c.init.xmm[x][b] = u8(x * 16 + b + 1);
  c.init.mxcsr = 0x9fe1;
}

TEST_CASE("FXSAVE image layout (64-bit mode, both REX.W forms)") {
  for (const auto& bytes : {kFxsave, kFxsave64}) {
    std::vector<u8> before(512, 0xab);
    insn::Case c = with(bytes, [&](insn::Case& k) {
      fill_xmm(k);
      k.mem_init.push_back({kArea, before});
    });
    insn::Outcome o = rig().run(c);
    REQUIRE(!o.exception);
    std::vector<u8> img = area_after(o, before);
    CHECK(img[0] == 0x7f);
    CHECK(img[1] == 0x03);  // FCW 0x037f
    for (int k = 2; k < 24; ++k) CHECK(img[k] == 0);  // FSW, FTW, FOP, FIP, FDP
    u32 mxcsr, mask;
    std::memcpy(&mxcsr, &img[24], 4);
    std::memcpy(&mask, &img[28], 4);
    CHECK(mxcsr == 0x9fe1);
    CHECK(mask == 0xffff);
    for (int k = 32; k < 160; ++k) CHECK(img[k] == 0);  // ST0-7 (x87 empty)
    for (int x = 0; x < 16; ++x) CHECK(std::memcmp(&img[160 + 16 * x], c.init.xmm[x], 16) == 0);
    for (int k = 416; k < 512; ++k) CHECK(img[k] == 0xab);  // reserved/available: untouched

    // The XMM area and MXCSR agree with this CPU's FXSAVE.
    insn::Outcome n = insn::run_native(c);
    REQUIRE(!n.exception);
    std::vector<u8> nimg = area_after(n, before);
    CHECK(std::memcmp(&nimg[24], &img[24], 4) == 0);
    CHECK(std::memcmp(&nimg[160], &img[160], 256) == 0);
  }
}

TEST_CASE("FXSAVE in compatibility mode stores XMM0-7 only") {
  std::vector<u8> before(512, 0xcd);
  insn::Case c = with({0x0f, 0xae, 0x07}, [&](insn::Case& k) {  // fxsave [edi]
    fill_xmm(k);
    k.init.gpr[insn::RDI] = kArea;
    k.mem_init.push_back({kArea, before});
  });
  insn::Outcome o = rig().run(c, RigControl{.compat32 = true});
  REQUIRE(!o.exception);
  std::vector<u8> img = area_after(o, before);
  for (int x = 0; x < 8; ++x) CHECK(std::memcmp(&img[160 + 16 * x], c.init.xmm[x], 16) == 0);
  for (int k = 288; k < 512; ++k) CHECK(img[k] == 0xcd);
}

TEST_CASE("compatibility mode: 32-bit addressing, alignment, FXRSTOR of XMM0-7") {
  RigControl compat{.compat32 = true};
  auto setup = [](insn::Case& k) {
    k.init.gpr[insn::RDI] = kArea;
    set_xmm(k.init, 1, 0x3f8000003f800000ull, 0x4000000040000000ull);
    k.mem_init.push_back({kArea, {0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40}});
  };
  insn::Outcome o = rig().run(with({0x0f, 0x58, 0x0f}, setup), compat);  // addps xmm1, [edi]
  REQUIRE(!o.exception);
  CHECK(xmm_lo(o.state, 1) == 0x4040000040000000ull);  // {1, 1, 2, 2} + {1, 2, 3, 4}
  CHECK(xmm_hi(o.state, 1) == 0x40c0000040a00000ull);
  insn::Outcome mis = rig().run(with({0x0f, 0x58, 0x4f, 0x04}, setup), compat);  // addps xmm1, [edi+4]
  CHECK(vector_of(mis) == vtlab::kGP);

  std::vector<u8> img(512, 0);
  for (int k = 0; k < 256; ++k) img[160 + k] = u8(k + 7);
  img[24] = 0x80, img[25] = 0x1f;
  insn::Case c = with({0x0f, 0xae, 0x0f}, [&](insn::Case& k) {  // fxrstor [edi]
    fill_xmm(k);
    k.init.gpr[insn::RDI] = kArea;
    k.mem_init.push_back({kArea, img});
  });
  o = rig().run(c, compat);
  REQUIRE(!o.exception);
  for (int x = 0; x < 8; ++x) CHECK(std::memcmp(o.state.xmm[x], &img[160 + 16 * x], 16) == 0);
  for (int x = 8; x < 16; ++x) CHECK(std::memcmp(o.state.xmm[x], c.init.xmm[x], 16) == 0);
}

TEST_CASE("FXRSTOR loads XMM and MXCSR; reserved MXCSR bits and misalignment give #GP(0)") {
  std::vector<u8> img(512, 0);
  for (int k = 0; k < 256; ++k) img[160 + k] = u8(255 - k);
  u32 mx = 0x7f3f;
  std::memcpy(&img[24], &mx, 4);
  insn::Case c = with(kFxrstor, [&](insn::Case& k) { k.mem_init.push_back({kArea, img}); });
  insn::Outcome o = rig().run(c);
  REQUIRE(!o.exception);
  CHECK(o.state.mxcsr == 0x7f3f);
  for (int x = 0; x < 16; ++x) CHECK(std::memcmp(o.state.xmm[x], &img[160 + 16 * x], 16) == 0);
  CHECK(insn::diff_outcomes(c, insn::run_native(c), o) == "");

  mx = 0x11f80;
  std::memcpy(&img[24], &mx, 4);
  insn::Case bad = with(kFxrstor, [&](insn::Case& k) { k.mem_init.push_back({kArea, img}); });
  o = rig().run(bad);
  CHECK(vector_of(o) == vtlab::kGP);
  CHECK(o.exception->error_code == 0);
  CHECK(o.state.mxcsr == 0x1f80);
  CHECK(insn::diff_outcomes(bad, insn::run_native(bad), o) == "");

  for (const auto& b : {kFxrstor, kFxsave, kFxsave64}) {
    insn::Case mis = with(b, [](insn::Case& k) { k.init.gpr[insn::R15] = kArea + 8; });
    o = rig().run(mis);
    CHECK(vector_of(o) == vtlab::kGP);
    CHECK(o.mem_changes.empty());
  }
}

TEST_CASE("LDMXCSR: reserved bits give #GP(0), like this CPU") {
  for (u32 v : {0x10000u, 0x80000000u, 0xffffu, 0x0u, 0x1f80u}) {
    insn::Case c = with(kLdmxcsr, [&](insn::Case& k) {
      k.mem_init.push_back({kArea, {u8(v), u8(v >> 8), u8(v >> 16), u8(v >> 24)}});
    });
    insn::Outcome o = rig().run(c);
    CHECK(vector_of(o) == (v > 0xffff ? vtlab::kGP : 0xff));
    CHECK(insn::diff_outcomes(c, insn::run_native(c), o) == "");
  }
}

}  // namespace
}  // namespace sse_test
