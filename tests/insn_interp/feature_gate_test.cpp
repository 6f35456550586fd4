// Instructions from extensions this CPU model does not report in CPUID raise
// #UD, as on hardware without them; the ones it reports run. Encodings that
// such hardware runs as NOPs (the reserved-NOP space, ENDBR, RDSSP, MPX,
// CLDEMOTE) or whose prefix it ignores (BND, NOTRACK, XACQUIRE/XRELEASE) run
// the same way here (docs/architecture.md, "Instruction set gate").
#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cpu/cpuid_table.h"
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
      {0x0f, 0x38, 0xc9, 0xc1},              // sha1msg1 (SHA)
      {0x66, 0x0f, 0x38, 0xcf, 0xc1},        // gf2p8mulb (GFNI)
      {0x66, 0x0f, 0x79, 0xc1},              // extrq (AMD SSE4A)
      {0x0f, 0xc7, 0x28},                    // xsaves [rax] (not reported)
      {0xc5, 0xf8, 0x58, 0xc0},              // vaddps (AVX)
      // CET outside the NOP space: #UD without CET (SDM Vol. 2 INCSSP, ...).
      {0xf3, 0x0f, 0xae, 0xe8},  // incsspd eax
      {0xf3, 0x0f, 0x01, 0xe8},  // setssbsy
      {0xf3, 0x0f, 0x01, 0xea},  // saveprevssp
      {0xf3, 0x0f, 0xae, 0x30},  // clrssbsy [rax]
      {0x0f, 0x38, 0xf6, 0x00},  // wrssd [rax], eax
      {0xf3, 0x0f, 0xae, 0xf0},  // umonitor rax (WAITPKG)
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
  o = run_bytes({0xd9, 0xe8});  // fld1 (x87)
  CHECK(!o.exception.has_value());
  o = run_bytes({0x0f, 0xfc, 0xc1});  // paddb mm0, mm1 (MMX)
  CHECK(!o.exception.has_value());
  o = run_bytes({0x0f, 0xc5, 0xc0, 0x00});  // pextrw eax, mm0, 0 (SSE, MMX form)
  CHECK(!o.exception.has_value());
  o = run_bytes({0x0f, 0x38, 0x00, 0xc1});  // pshufb mm0, mm1 (SSSE3, MMX form)
  CHECK(!o.exception.has_value());
  // fisttp dword [rax] (SSE3, though an x87 opcode): runs, so it faults on
  // the unmapped address, not #UD.
  o = run_bytes({0xdb, 0x08});
  REQUIRE(o.exception.has_value());
  CHECK(o.exception->vector == insn::PF_);
  o = run_bytes({0x0f, 0xc7, 0xf0});  // rdrand eax
  CHECK(!o.exception.has_value());
  o = run_bytes({0x66, 0x0f, 0xae, 0x3c, 0x24});  // clflushopt [rsp] (checked like a byte load: a mapped address)
  CHECK(!o.exception.has_value());
  o = run_bytes({0x66, 0x0f, 0xae, 0x38});  // clflushopt [rax]: RAX = F0H, not mapped
  REQUIRE(o.exception.has_value());
  CHECK(o.exception->vector == insn::PF_);
  // SSE3, SSSE3, SSE4.1, SSE4.2, AES, PCLMULQDQ: reported, so they run.
  for (const auto& b : std::vector<std::vector<insn::u8>>{
           {0xf2, 0x0f, 0x7c, 0xc1},                 // haddps xmm0, xmm1
           {0x66, 0x0f, 0x38, 0x00, 0xc1},           // pshufb xmm0, xmm1
           {0x66, 0x0f, 0x3a, 0x15, 0xc0, 0x01},     // pextrw eax, xmm0, 1 (SSE4.1 encoding)
           {0x66, 0x0f, 0x38, 0x37, 0xc1},           // pcmpgtq xmm0, xmm1
           {0xf2, 0x0f, 0x38, 0xf1, 0xc1},           // crc32 eax, ecx
           {0x66, 0x0f, 0x38, 0xdc, 0xc1},           // aesenc xmm0, xmm1
           {0x66, 0x0f, 0x3a, 0x44, 0xc1, 0x11}}) {  // pclmulqdq xmm0, xmm1, 0x11
    o = run_bytes(b);
    CHECK_MESSAGE(!o.exception.has_value(), b[b.size() > 4 ? 3 : 2]);
  }
  // XGETBV (XSAVE) reads XCR0: x87 | SSE, as the harness enables them.
  o = run_bytes({0x0f, 0x01, 0xd0});
  REQUIRE(!o.exception.has_value());
  CHECK(o.state.gpr[insn::RAX] == 3);
  CHECK(o.state.gpr[insn::RDX] == 0);
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

namespace {

// Runs `bytes` with a clean state and says whether it behaved as a NOP:
// no exception, RIP past the instruction, nothing else changed. Memory
// operands in the callers point at address 0, which is unmapped: any access
// would be a #PF.
std::string nop_failure(const std::vector<insn::u8>& bytes) {
  insn::Case c;
  c.name = "nop-space";
  c.bytes = bytes;
  c.init.gpr[insn::RSP] = insn::kDefaultRsp;
  for (int r = 0; r < 16; ++r)
    if (r != insn::RSP) c.init.gpr[r] = 0x1111111111111111ull * insn::u64(r + 1);
  insn::Outcome want;
  want.state = c.init;
  want.state.rip = insn::kCodeBase + bytes.size();
  insn::Outcome got = vtlab::testing::run_interp(c);
  if (got.exception) return "exception vector " + std::to_string(got.exception->vector);
  if (!(got == want)) return "state changed";
  return "";
}

std::string hex_bytes(const std::vector<insn::u8>& b) {
  std::string s;
  char buf[4];
  for (auto x : b) std::snprintf(buf, sizeof buf, "%02x ", x), s += buf;
  return s;
}

}  // namespace

TEST_CASE("the reserved-NOP space runs as NOPs without touching memory (SDM Vol. 2 NOP, PREFETCHh, ENDBR, RDSSP)") {
  // 0F 0D (prefetches) and 0F 18-0F 1F, every ModRM.reg, a memory form
  // ([0], unmapped) and a register form, under each mandatory-prefix
  // combination the SDM uses in this space (none, 66, F3, F2, F3 + REX.W).
  const std::vector<std::vector<insn::u8>> prefixes = {{}, {0x66}, {0xf3}, {0xf2}, {0xf3, 0x48}};
  int tried = 0;
  for (const auto& prefix : prefixes)
    for (insn::u8 op : {0x0d, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f})
      for (insn::u8 reg = 0; reg < 8; ++reg)
        for (bool mem : {true, false}) {
          std::vector<insn::u8> b = prefix;
          b.insert(b.end(), {0x0f, op});
          if (mem)
            b.insert(b.end(), {insn::u8(reg << 3 | 4), 0x25, 0, 0, 0, 0});  // [0]
          else
            b.push_back(insn::u8(0xc0 | reg << 3 | 1));
          CHECK_MESSAGE(nop_failure(b).empty(), hex_bytes(b) << ": " << nop_failure(b));
          ++tried;
        }
  CHECK(tried == 720);
}

TEST_CASE("prefixes of unreported extensions are ignored (BND, NOTRACK, XACQUIRE/XRELEASE)") {
  // Each branch targets the next instruction: RIP must end past it.
  for (const auto& b : std::vector<std::vector<insn::u8>>{{0xf2, 0xeb, 0x00},        // bnd jmp
                                                          {0xf2, 0xe9, 0, 0, 0, 0},  // bnd jmp rel32
                                                          {0xf2, 0x74, 0x00},        // bnd jz
                                                          {0x3e, 0x74, 0x00}}) {     // branch hint
    CAPTURE(hex_bytes(b));
    CHECK(nop_failure(b).empty());
  }
  // bnd call: pushes the return address and continues after itself.
  insn::Case c;
  c.name = "bnd-call";
  c.bytes = {0xf2, 0xe8, 0, 0, 0, 0};
  c.init.gpr[insn::RSP] = insn::kDefaultRsp;
  insn::Outcome o = vtlab::testing::run_interp(c);
  CHECK(!o.exception);
  CHECK(o.state.rip == insn::kCodeBase + 6);
  CHECK(o.state.gpr[insn::RSP] == insn::kDefaultRsp - 8);
  // notrack jmp rax (to the next instruction), then xacquire lock add
  // [rbx], ecx and xrelease mov [rbx+4], ecx: all run as written.
  c.bytes = {0x3e, 0xff, 0xe0, 0xf2, 0xf0, 0x01, 0x0b, 0xf3, 0x89, 0x4b, 0x04};
  c.insn_count = 3;
  c.init.gpr[insn::RAX] = insn::kCodeBase + 3;
  c.init.gpr[insn::RBX] = insn::kDataBase;
  c.init.gpr[insn::RCX] = 5;
  o = vtlab::testing::run_interp(c);
  REQUIRE(!o.exception);
  CHECK(o.state.rip == insn::kCodeBase + 11);
  REQUIRE(o.mem_changes.size() == 2);
  CHECK(o.mem_changes[0] == insn::MemBytes{insn::kDataBase, {5}});
  CHECK(o.mem_changes[1] == insn::MemBytes{insn::kDataBase + 4, {5}});
}

TEST_CASE("CPUID reports PRFCHW and none of the NOP-space extensions the decoder treats as absent") {
  vtlab::u32 r[4];
  vtlab::cpuid_lookup(0x80000001, 0, r);
  CHECK((r[2] & (1u << 8)) != 0);  // PRFCHW: 0F 0D PREFETCHW runs
  vtlab::cpuid_lookup(7, 0, r);
  const vtlab::NopSpaceExtensions n = vtlab::nop_space_extensions();
  CHECK(n.mpx == ((r[1] & (1u << 14)) != 0));
  CHECK(n.cet == ((r[2] & (1u << 7)) != 0 || (r[3] & (1u << 20)) != 0));
  CHECK(n.cldemote == ((r[2] & (1u << 25)) != 0));
  CHECK(!n.mpx);
  CHECK(!n.cet);
  CHECK(!n.cldemote);
  CHECK((r[1] & (1u << 4)) == 0);   // HLE: XACQUIRE/XRELEASE are ignored prefixes
  CHECK((r[1] & (1u << 11)) == 0);  // RTM
}
