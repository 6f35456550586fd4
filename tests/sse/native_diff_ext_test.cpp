// Differential tests for SSE3, SSSE3, SSE4.1, SSE4.2, AES-NI, PCLMULQDQ
// and CRC32: every register and memory form runs natively on this CPU and
// in the interpreter from the same initial state (tests/sse/diff.h) over
// IEEE specials, edge integers, string alphabets with terminators, every
// PCMPxSTRx control byte, random immediates (ROUND modes, blend masks,
// element indexes) and the MXCSR values of diff.cpp (rounding modes, DAZ,
// FTZ, each exception unmasked); memory operands aligned, misaligned
// (#GP(0) for the aligned forms) and crossing into an unmapped page.
#include <doctest/doctest.h>

#include <string>
#include <tuple>
#include <vector>

#include "tests/sse/diff.h"

namespace sse_test {
namespace {

// 66 0F 38 xx and 66 0F 3A xx ib forms "xmm1, xmm2/m".
Spec x38(std::string name, u8 op, Lane lane, unsigned mem = 16) {
  return Spec{std::move(name), 0x66, false, {0x0f, 0x38, op}, lane, Form::XX, mem, true, -1};
}
Spec x3a(std::string name, u8 op, Lane lane, unsigned mem = 16, int imm = -2) {
  return Spec{std::move(name), 0x66, false, {0x0f, 0x3a, op}, lane, Form::XX, mem, true, imm};
}

int run_all(const std::vector<Spec>& specs) {
  int n = 0;
  for (const Spec& s : specs) n += check(s);
  return n;
}

TEST_CASE("native vs interpreter: SSE3") {
  std::vector<Spec> v = {xx("addsubps", 0xf2, 0xd0, Lane::F32),  xx("addsubpd", 0x66, 0xd0, Lane::F64),
                         xx("haddps", 0xf2, 0x7c, Lane::F32),    xx("hsubps", 0xf2, 0x7d, Lane::F32),
                         xx("haddpd", 0x66, 0x7c, Lane::F64),    xx("hsubpd", 0x66, 0x7d, Lane::F64),
                         xx("movsldup", 0xf3, 0x12, Lane::F32),  xx("movshdup", 0xf3, 0x16, Lane::F32),
                         xx("movddup", 0xf2, 0x12, Lane::F64, 8)};
  Spec lddqu = xx("lddqu", 0xf2, 0xf0, Lane::Raw);
  lddqu.reg_form = false;  // memory only
  v.push_back(lddqu);
  MESSAGE(run_all(v) << " cases");
}

TEST_CASE("native vs interpreter: SSSE3") {
  std::vector<Spec> v = {
      x38("pshufb", 0x00, Lane::I8),   x38("phaddw", 0x01, Lane::I16),   x38("phaddd", 0x02, Lane::I32),
      x38("phaddsw", 0x03, Lane::I16), x38("pmaddubsw", 0x04, Lane::I8), x38("phsubw", 0x05, Lane::I16),
      x38("phsubd", 0x06, Lane::I32),  x38("phsubsw", 0x07, Lane::I16),  x38("psignb", 0x08, Lane::I8),
      x38("psignw", 0x09, Lane::I16),  x38("psignd", 0x0a, Lane::I32),   x38("pmulhrsw", 0x0b, Lane::I16),
      x38("pabsb", 0x1c, Lane::I8),    x38("pabsw", 0x1d, Lane::I16),    x38("pabsd", 0x1e, Lane::I32),
      x3a("palignr", 0x0f, Lane::I8)};
  MESSAGE(run_all(v) << " cases");
}

TEST_CASE("native vs interpreter: SSE4.1 integer, blends, PTEST") {
  std::vector<Spec> v = {
      x38("pblendvb", 0x10, Lane::I8),  x38("blendvps", 0x14, Lane::F32),   x38("blendvpd", 0x15, Lane::F64),
      x38("ptest", 0x17, Lane::Raw),    x38("pmuldq", 0x28, Lane::I32),     x38("pcmpeqq", 0x29, Lane::I64),
      x38("packusdw", 0x2b, Lane::I32), x38("pminsb", 0x38, Lane::I8),      x38("pminsd", 0x39, Lane::I32),
      x38("pminuw", 0x3a, Lane::I16),   x38("pminud", 0x3b, Lane::I32),     x38("pmaxsb", 0x3c, Lane::I8),
      x38("pmaxsd", 0x3d, Lane::I32),   x38("pmaxuw", 0x3e, Lane::I16),     x38("pmaxud", 0x3f, Lane::I32),
      x38("pmulld", 0x40, Lane::I32),   x38("phminposuw", 0x41, Lane::I16), x3a("blendps", 0x0c, Lane::F32),
      x3a("blendpd", 0x0d, Lane::F64),  x3a("pblendw", 0x0e, Lane::I16),    x3a("mpsadbw", 0x42, Lane::I8)};
  // Sign/zero extension: memory operands of just the bytes used.
  for (auto [name, op, lane, mem] : {std::tuple{"pmovsxbw", 0x20, Lane::I8, 8u},
                                     {"pmovsxbd", 0x21, Lane::I8, 4u},
                                     {"pmovsxbq", 0x22, Lane::I8, 2u},
                                     {"pmovsxwd", 0x23, Lane::I16, 8u},
                                     {"pmovsxwq", 0x24, Lane::I16, 4u},
                                     {"pmovsxdq", 0x25, Lane::I32, 8u},
                                     {"pmovzxbw", 0x30, Lane::I8, 8u},
                                     {"pmovzxbd", 0x31, Lane::I8, 4u},
                                     {"pmovzxbq", 0x32, Lane::I8, 2u},
                                     {"pmovzxwd", 0x33, Lane::I16, 8u},
                                     {"pmovzxwq", 0x34, Lane::I16, 4u},
                                     {"pmovzxdq", 0x35, Lane::I32, 8u}})
    v.push_back(x38(name, u8(op), lane, mem));
  Spec movntdqa = x38("movntdqa", 0x2a, Lane::Raw);
  movntdqa.reg_form = false;
  v.push_back(movntdqa);
  MESSAGE(run_all(v) << " cases");
}

TEST_CASE("native vs interpreter: SSE4.1 ROUND and DPPS/DPPD") {
  std::vector<Spec> v = {x3a("roundps", 0x08, Lane::F32),    x3a("roundpd", 0x09, Lane::F64),
                         x3a("roundss", 0x0a, Lane::F32, 4), x3a("roundsd", 0x0b, Lane::F64, 8),
                         x3a("dpps", 0x40, Lane::F32),       x3a("dppd", 0x41, Lane::F64)};
  MESSAGE(run_all(v) << " cases");
}

TEST_CASE("native vs interpreter: SSE4.1 inserts and extracts") {
  std::vector<Spec> v;
  // Extracts: ModRM.reg = xmm1, r/m = rax or memory (Form::X_RAX encodes that).
  for (auto [name, op, rexw, lane, mem] : {std::tuple{"pextrb", 0x14, false, Lane::I8, 1u},
                                           {"pextrw.m", 0x15, false, Lane::I16, 2u},
                                           {"pextrd", 0x16, false, Lane::I32, 4u},
                                           {"pextrq", 0x16, true, Lane::I64, 8u},
                                           {"extractps", 0x17, false, Lane::F32, 4u},
                                           {"extractps.w", 0x17, true, Lane::F32, 4u},
                                           {"pextrb.w", 0x14, true, Lane::I8, 1u},
                                           {"pinsrb", 0x20, false, Lane::I8, 1u},
                                           {"pinsrd", 0x22, false, Lane::I32, 4u},
                                           {"pinsrq", 0x22, true, Lane::I64, 8u}})
    v.push_back(Spec{name, 0x66, rexw, {0x0f, 0x3a, u8(op)}, lane, Form::X_RAX, mem, false, -2});
  v.push_back(x3a("insertps", 0x21, Lane::F32, 4));
  MESSAGE(run_all(v) << " cases");
}

TEST_CASE("native vs interpreter: SSE4.2 string compares (every control byte), PCMPGTQ, CRC32") {
  std::vector<Spec> v = {x38("pcmpgtq", 0x37, Lane::I64)};
  for (auto [name, op, rexw] : {std::tuple{"pcmpestrm", 0x60, false},
                                {"pcmpestri", 0x61, false},
                                {"pcmpistrm", 0x62, false},
                                {"pcmpistri", 0x63, false},
                                {"pcmpestrm.w", 0x60, true},
                                {"pcmpestri.w", 0x61, true}}) {
    Spec s = x3a(name, u8(op), Lane::Str, 16, -3);
    s.rexw = rexw;
    s.aligned = false;
    s.lengths = op == 0x60 || op == 0x61;
    v.push_back(s);
  }
  // CRC32 r32/r64, r/m8/16/32/64 (ModRM.reg = rax, r/m = rdx or memory).
  for (auto [name, op, rexw, p0, mem] : {std::tuple{"crc32b", 0xf0, false, 0, 1u},
                                         {"crc32w", 0xf1, false, 0x66, 2u},
                                         {"crc32d", 0xf1, false, 0, 4u},
                                         {"crc32q.b", 0xf0, true, 0, 1u},
                                         {"crc32q", 0xf1, true, 0, 8u}}) {
    Spec s{name, 0xf2, rexw, {0x0f, 0x38, u8(op)}, Lane::I64, Form::RAX_X, mem, false, -1};
    s.prefix0 = u8(p0);
    v.push_back(s);
  }
  MESSAGE(run_all(v) << " cases");
}

TEST_CASE("native vs interpreter: AES-NI and PCLMULQDQ") {
  std::vector<Spec> v = {x38("aesimc", 0xdb, Lane::Raw),     x38("aesenc", 0xdc, Lane::Raw),
                         x38("aesenclast", 0xdd, Lane::Raw), x38("aesdec", 0xde, Lane::Raw),
                         x38("aesdeclast", 0xdf, Lane::Raw), x3a("aeskeygenassist", 0xdf, Lane::Raw),
                         x3a("pclmulqdq", 0x44, Lane::Raw)};
  MESSAGE(run_all(v) << " cases");
}

}  // namespace
}  // namespace sse_test
