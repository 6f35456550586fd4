// Differential tests: every SSE/SSE2 form runs natively on this CPU
// (insn::run_native) and in the interpreter (Rig) from the same initial
// state, over IEEE specials (QNaN/SNaN in either position, +-0, +-inf,
// denormals, extremes), edge integers and random bits, under MXCSR values
// covering the four rounding modes, DAZ, FTZ, sticky flags and each
// exception unmasked; memory forms aligned, misaligned and page-crossing.
// The whole outcome must agree: registers, MXCSR, RFLAGS, memory, and the
// exception (#XM with the destination untouched, #GP for misalignment).
#include <doctest/doctest.h>

#include <string>
#include <tuple>
#include <vector>

#include "tests/sse/diff.h"

namespace sse_test {
namespace {

// The FP arithmetic family: ps (none), ss (f3), pd (66), sd (f2).
void fp4(std::vector<Spec>& v, const std::string& base, u8 op, bool approx_only_single = false) {
  v.push_back(xx(base + "ps", 0, op, Lane::F32));
  v.push_back(xx(base + "ss", 0xf3, op, Lane::F32, 4));
  if (approx_only_single) {
    v[v.size() - 1].approx = v[v.size() - 2].approx = true;
    return;
  }
  v.push_back(xx(base + "pd", 0x66, op, Lane::F64));
  v.push_back(xx(base + "sd", 0xf2, op, Lane::F64, 8));
}

std::vector<Spec> fp_specs() {
  std::vector<Spec> v;
  fp4(v, "add", 0x58);
  fp4(v, "mul", 0x59);
  fp4(v, "sub", 0x5c);
  fp4(v, "min", 0x5d);
  fp4(v, "div", 0x5e);
  fp4(v, "max", 0x5f);
  fp4(v, "sqrt", 0x51);
  fp4(v, "rsqrt", 0x52, true);
  fp4(v, "rcp", 0x53, true);
  for (auto [name, op] : {std::pair{"and", 0x54}, {"andn", 0x55}, {"or", 0x56}, {"xor", 0x57}}) {
    v.push_back(xx(std::string(name) + "ps", 0, u8(op), Lane::F32));
    v.push_back(xx(std::string(name) + "pd", 0x66, u8(op), Lane::F64));
  }
  for (Spec s : {xx("cmpps", 0, 0xc2, Lane::F32), xx("cmpss", 0xf3, 0xc2, Lane::F32, 4),
                 xx("cmppd", 0x66, 0xc2, Lane::F64), xx("cmpsd", 0xf2, 0xc2, Lane::F64, 8)}) {
    s.imm = -2;
    v.push_back(s);
  }
  v.push_back(xx("ucomiss", 0, 0x2e, Lane::F32, 4));
  v.push_back(xx("comiss", 0, 0x2f, Lane::F32, 4));
  v.push_back(xx("ucomisd", 0x66, 0x2e, Lane::F64, 8));
  v.push_back(xx("comisd", 0x66, 0x2f, Lane::F64, 8));
  return v;
}

std::vector<Spec> convert_specs() {
  std::vector<Spec> v;
  v.push_back(xx("cvtps2pd", 0, 0x5a, Lane::F32, 8));
  v.push_back(xx("cvtpd2ps", 0x66, 0x5a, Lane::F64));
  v.push_back(xx("cvtss2sd", 0xf3, 0x5a, Lane::F32, 4));
  v.push_back(xx("cvtsd2ss", 0xf2, 0x5a, Lane::F64, 8));
  v.push_back(xx("cvtdq2ps", 0, 0x5b, Lane::I32));
  v.push_back(xx("cvtps2dq", 0x66, 0x5b, Lane::F32));
  v.push_back(xx("cvttps2dq", 0xf3, 0x5b, Lane::F32));
  v.push_back(xx("cvtdq2pd", 0xf3, 0xe6, Lane::I32, 8));
  v.push_back(xx("cvtpd2dq", 0xf2, 0xe6, Lane::F64));
  v.push_back(xx("cvttpd2dq", 0x66, 0xe6, Lane::F64));
  for (bool w : {false, true}) {
    std::string sfx = w ? "64" : "32";
    for (auto [name, prefix] : {std::pair{"cvtsi2ss", 0xf3}, {"cvtsi2sd", 0xf2}})
      v.push_back(Spec{name + sfx, u8(prefix), w, {0x0f, 0x2a}, Lane::I64, Form::X_RAX, w ? 8u : 4u, false, -1});
    for (auto [name, prefix, op, lane] :
         {std::tuple{"cvtss2si", 0xf3, 0x2d, Lane::F32}, {"cvttss2si", 0xf3, 0x2c, Lane::F32},
          {"cvtsd2si", 0xf2, 0x2d, Lane::F64}, {"cvttsd2si", 0xf2, 0x2c, Lane::F64}}) {
      Spec s{name + sfx, u8(prefix), w, {0x0f, u8(op)}, lane, Form::RAX_X, lane == Lane::F32 ? 4u : 8u, false, -1};
      v.push_back(s);
    }
  }
  return v;
}

std::vector<Spec> move_specs() {
  std::vector<Spec> v;
  auto add = [&](std::string name, u8 prefix, u8 op, unsigned mem, bool aligned, Form f = Form::XX, bool rexw = false,
                 bool reg_form = true) {
    v.push_back(Spec{std::move(name), prefix, rexw, {0x0f, op}, Lane::Raw, f, mem, aligned, -1, 0, false, reg_form});
  };
  add("movups.ld", 0, 0x10, 16, false);
  add("movups.st", 0, 0x11, 16, false);
  add("movaps.ld", 0, 0x28, 16, true);
  add("movaps.st", 0, 0x29, 16, true);
  add("movupd.ld", 0x66, 0x10, 16, false);
  add("movupd.st", 0x66, 0x11, 16, false);
  add("movapd.ld", 0x66, 0x28, 16, true);
  add("movapd.st", 0x66, 0x29, 16, true);
  add("movdqa.ld", 0x66, 0x6f, 16, true);
  add("movdqa.st", 0x66, 0x7f, 16, true);
  add("movdqu.ld", 0xf3, 0x6f, 16, false);
  add("movdqu.st", 0xf3, 0x7f, 16, false);
  add("movss.ld", 0xf3, 0x10, 4, false);
  add("movss.st", 0xf3, 0x11, 4, false);
  add("movsd.ld", 0xf2, 0x10, 8, false);
  add("movsd.st", 0xf2, 0x11, 8, false);
  add("movlps.ld", 0, 0x12, 8, false, Form::XX, false, false);
  add("movhlps", 0, 0x12, 0, false);
  add("movlps.st", 0, 0x13, 8, false, Form::XX, false, false);
  add("movhps.ld", 0, 0x16, 8, false, Form::XX, false, false);
  add("movlhps", 0, 0x16, 0, false);
  add("movhps.st", 0, 0x17, 8, false, Form::XX, false, false);
  add("movlpd.ld", 0x66, 0x12, 8, false, Form::XX, false, false);
  add("movlpd.st", 0x66, 0x13, 8, false, Form::XX, false, false);
  add("movhpd.ld", 0x66, 0x16, 8, false, Form::XX, false, false);
  add("movhpd.st", 0x66, 0x17, 8, false, Form::XX, false, false);
  add("movd.ld", 0x66, 0x6e, 4, false, Form::X_RAX);
  add("movd.st", 0x66, 0x7e, 4, false, Form::X_RAX);
  add("movq.ldg", 0x66, 0x6e, 8, false, Form::X_RAX, true);
  add("movq.stg", 0x66, 0x7e, 8, false, Form::X_RAX, true);
  add("movq.ld", 0xf3, 0x7e, 8, false);
  add("movq.st", 0x66, 0xd6, 8, false);
  add("movmskps", 0, 0x50, 0, false, Form::RAX_X);
  add("movmskpd", 0x66, 0x50, 0, false, Form::RAX_X);
  add("pmovmskb", 0x66, 0xd7, 0, false, Form::RAX_X);
  add("movntps", 0, 0x2b, 16, true, Form::XX, false, false);
  add("movntpd", 0x66, 0x2b, 16, true, Form::XX, false, false);
  add("movntdq", 0x66, 0xe7, 16, true, Form::XX, false, false);
  add("movnti32", 0, 0xc3, 4, false, Form::RAX_X, false, false);
  add("movnti64", 0, 0xc3, 8, false, Form::RAX_X, true, false);
  add("maskmovdqu", 0x66, 0xf7, 0, false);
  return v;
}

std::vector<Spec> int_specs() {
  std::vector<Spec> v;
  auto add = [&](std::string name, u8 op, Lane lane) { v.push_back(xx(std::move(name), 0x66, op, lane)); };
  add("punpcklbw", 0x60, Lane::I8), add("punpcklwd", 0x61, Lane::I16), add("punpckldq", 0x62, Lane::I32);
  add("packsswb", 0x63, Lane::I16), add("pcmpgtb", 0x64, Lane::I8), add("pcmpgtw", 0x65, Lane::I16);
  add("pcmpgtd", 0x66, Lane::I32), add("packuswb", 0x67, Lane::I16), add("punpckhbw", 0x68, Lane::I8);
  add("punpckhwd", 0x69, Lane::I16), add("punpckhdq", 0x6a, Lane::I32), add("packssdw", 0x6b, Lane::I32);
  add("punpcklqdq", 0x6c, Lane::I64), add("punpckhqdq", 0x6d, Lane::I64);
  add("pcmpeqb", 0x74, Lane::I8), add("pcmpeqw", 0x75, Lane::I16), add("pcmpeqd", 0x76, Lane::I32);
  add("psrlw", 0xd1, Lane::I16), add("psrld", 0xd2, Lane::I32), add("psrlq", 0xd3, Lane::I64);
  add("paddq", 0xd4, Lane::I64), add("pmullw", 0xd5, Lane::I16), add("psubusb", 0xd8, Lane::I8);
  add("psubusw", 0xd9, Lane::I16), add("pminub", 0xda, Lane::I8), add("pand", 0xdb, Lane::Raw);
  add("paddusb", 0xdc, Lane::I8), add("paddusw", 0xdd, Lane::I16), add("pmaxub", 0xde, Lane::I8);
  add("pandn", 0xdf, Lane::Raw), add("pavgb", 0xe0, Lane::I8), add("psraw", 0xe1, Lane::I16);
  add("psrad", 0xe2, Lane::I32), add("pavgw", 0xe3, Lane::I16), add("pmulhuw", 0xe4, Lane::I16);
  add("pmulhw", 0xe5, Lane::I16), add("psubsb", 0xe8, Lane::I8), add("psubsw", 0xe9, Lane::I16);
  add("pminsw", 0xea, Lane::I16), add("por", 0xeb, Lane::Raw), add("paddsb", 0xec, Lane::I8);
  add("paddsw", 0xed, Lane::I16), add("pmaxsw", 0xee, Lane::I16), add("pxor", 0xef, Lane::Raw);
  add("psllw", 0xf1, Lane::I16), add("pslld", 0xf2, Lane::I32), add("psllq", 0xf3, Lane::I64);
  add("pmuludq", 0xf4, Lane::I32), add("pmaddwd", 0xf5, Lane::I16), add("psadbw", 0xf6, Lane::I8);
  add("psubb", 0xf8, Lane::I8), add("psubw", 0xf9, Lane::I16), add("psubd", 0xfa, Lane::I32);
  add("psubq", 0xfb, Lane::I64), add("paddb", 0xfc, Lane::I8), add("paddw", 0xfd, Lane::I16);
  add("paddd", 0xfe, Lane::I32);
  for (Spec& s : v)
    if (s.name.starts_with("psll") || s.name.starts_with("psrl") || s.name.starts_with("psra")) s.count = true;
  // Shifts by immediate: 66 0F 71/72/73 /ext ib.
  for (auto [name, op, ext] : {std::tuple{"psrlw.i", 0x71, 2}, {"psraw.i", 0x71, 4}, {"psllw.i", 0x71, 6},
                               {"psrld.i", 0x72, 2}, {"psrad.i", 0x72, 4}, {"pslld.i", 0x72, 6},
                               {"psrlq.i", 0x73, 2}, {"psrldq.i", 0x73, 3}, {"psllq.i", 0x73, 6},
                               {"pslldq.i", 0x73, 7}}) {
    Spec s{name, 0x66, false, {0x0f, u8(op)}, Lane::Raw, Form::SHIFT, 0, false, -2, u8(ext)};
    v.push_back(s);
  }
  Spec pextrw{"pextrw", 0x66, false, {0x0f, 0xc5}, Lane::I16, Form::RAX_X, 0, false, -2};
  Spec pinsrw{"pinsrw", 0x66, false, {0x0f, 0xc4}, Lane::I16, Form::X_RAX, 2, false, -2};
  v.push_back(pextrw);
  v.push_back(pinsrw);
  return v;
}

std::vector<Spec> shuffle_specs() {
  std::vector<Spec> v;
  for (auto [name, prefix, op, lane] :
       {std::tuple{"shufps", 0x00, 0xc6, Lane::F32}, {"shufpd", 0x66, 0xc6, Lane::F64},
        {"pshufd", 0x66, 0x70, Lane::I32}, {"pshufhw", 0xf3, 0x70, Lane::I16}, {"pshuflw", 0xf2, 0x70, Lane::I16}}) {
    Spec s = xx(name, u8(prefix), u8(op), lane);
    s.imm = -2;
    v.push_back(s);
  }
  v.push_back(xx("unpcklps", 0, 0x14, Lane::F32));
  v.push_back(xx("unpckhps", 0, 0x15, Lane::F32));
  v.push_back(xx("unpcklpd", 0x66, 0x14, Lane::F64));
  v.push_back(xx("unpckhpd", 0x66, 0x15, Lane::F64));
  return v;
}

std::vector<Spec> state_specs() {
  std::vector<Spec> v;
  // LDMXCSR/STMXCSR [r15]: values from the int pool (reserved bits too).
  v.push_back(Spec{"ldmxcsr", 0, false, {0x0f, 0xae}, Lane::I16, Form::MEM, 4, false, -1, 2});
  v.push_back(Spec{"stmxcsr", 0, false, {0x0f, 0xae}, Lane::I16, Form::MEM, 4, false, -1, 3});
  return v;
}

TEST_CASE("native vs interpreter: FP arithmetic, logic, compares") {
  int n = 0;
  for (const Spec& s : fp_specs()) n += check(s);
  MESSAGE(n << " cases");
}
TEST_CASE("native vs interpreter: conversions") {
  int n = 0;
  for (const Spec& s : convert_specs()) n += check(s);
  MESSAGE(n << " cases");
}
TEST_CASE("native vs interpreter: moves") {
  int n = 0;
  for (const Spec& s : move_specs()) n += check(s);
  MESSAGE(n << " cases");
}
TEST_CASE("native vs interpreter: SSE2 integer") {
  int n = 0;
  for (const Spec& s : int_specs()) n += check(s);
  MESSAGE(n << " cases");
}
TEST_CASE("native vs interpreter: shuffles and unpacks") {
  int n = 0;
  for (const Spec& s : shuffle_specs()) n += check(s);
  MESSAGE(n << " cases");
}
TEST_CASE("native vs interpreter: LDMXCSR/STMXCSR") {
  int n = 0;
  for (const Spec& s : state_specs()) n += check(s);
  MESSAGE(n << " cases");
}

}  // namespace
}  // namespace sse_test
