// Instructions from extensions this CPU model does not report in CPUID raise
// #UD, as on hardware without them; the ones it reports run.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <vector>

#include "tests/insn/native_runner.h"
#include "tests/insn_interp/user_mode_harness.h"

namespace {

insn::Outcome run_bytes(std::vector<insn::u8> bytes) {
  insn::Case c;
  c.name = "gate";
  c.bytes = std::move(bytes);
  c.init.gpr[insn::RSP] = insn::kDefaultRsp;
  c.init.gpr[insn::RAX] = 0xf0;
  return vtlab::testing::run_interp(c);
}

}  // namespace

TEST_CASE("unreported extensions are #UD") {
  const std::vector<std::vector<insn::u8>> absent = {
      {0x66, 0x0f, 0x3a, 0x15, 0xc0, 0x01},  // pextrw r/m16 (SSE4.1 form)
      {0xf2, 0x0f, 0x7c, 0xc1},              // haddps (SSE3)
      {0x66, 0x0f, 0x38, 0x00, 0xc1},        // pshufb (SSSE3)
      {0xd9, 0xe8},                          // fld1 (x87, a later issue)
      {0x0f, 0xfc, 0xc1},                    // paddb mm0, mm1 (MMX)
      {0xc5, 0xf8, 0x58, 0xc0},              // vaddps (AVX)
      {0x0f, 0x01, 0xd0},                    // xgetbv (XSAVE)
      {0x0f, 0xc7, 0xf0},                    // rdrand (not reported)
  };
  for (const auto& b : absent) {
    CAPTURE(b.size());
    insn::Outcome o = run_bytes(b);
    REQUIRE(o.exception.has_value());
    CHECK(o.exception->vector == insn::UD);
    CHECK(o.state.rip == insn::kCodeBase);
  }
}

TEST_CASE("reported extensions run") {
  insn::Outcome o = run_bytes({0xf3, 0x48, 0x0f, 0xb8, 0xc0});  // popcnt rax, rax
  CHECK(!o.exception.has_value());
  CHECK(o.state.gpr[insn::RAX] == 4);
  o = run_bytes({0x66, 0x0f, 0xc5, 0xc0, 0x00});  // pextrw eax, xmm0, 0 (SSE2 form)
  CHECK(!o.exception.has_value());
}

TEST_CASE("an instruction longer than 15 bytes is #GP(0), as on this machine's CPU") {
  // 14 operand-size prefixes + add eax, ebx = 16 bytes.
  insn::Case c;
  c.name = "too-long";
  c.bytes.assign(14, 0x66);
  c.bytes.insert(c.bytes.end(), {0x01, 0xd8});
  c.init.gpr[insn::RSP] = insn::kDefaultRsp;
  insn::Outcome native = insn::run_native(c);
  insn::Outcome o = vtlab::testing::run_interp(c);
  REQUIRE(native.exception.has_value());
  REQUIRE(o.exception.has_value());
  CHECK(o.exception->vector == insn::GP);
  CHECK(o.exception->vector == native.exception->vector);
  CHECK(o.exception->error_code == native.exception->error_code);
  CHECK(o.state.rip == native.state.rip);
}
