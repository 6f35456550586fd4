// The native-vs-interpreter differential machinery of tests/sse: an
// instruction form (Spec: encoding, operand shape, lane kind, immediate
// policy) is run from many generated initial states on this CPU
// (insn::run_native) and in the interpreter (Rig); the outcomes must agree
// in full (registers, MXCSR, RFLAGS, memory, exception).
#pragma once
#include <string>
#include <vector>

#include "tests/sse/values.h"

namespace sse_test {

// How the ModRM operands are used.
enum class Form {
  XX,     // reg = xmm1, r/m = xmm2 or [r15]
  X_RAX,  // reg = xmm1, r/m = rax or [r15]
  RAX_X,  // reg = rax, r/m = xmm2 or [r15]
  SHIFT,  // r/m = xmm1, reg = opcode extension, imm8
  MEM,    // r/m = [r15] only, reg = opcode extension
};

struct Spec {
  std::string name;
  u8 prefix;  // 0, 0x66, 0xf2, 0xf3
  bool rexw;
  std::vector<u8> opcode;  // from 0x0f on
  Lane lane;
  Form form = Form::XX;
  unsigned mem = 16;  // bytes of the memory operand; 0: no memory form
  bool aligned = true;
  int imm = -1;  // -1: none, -2: random imm8, else that value
  u8 ext = 0;    // opcode extension for SHIFT/MEM
  bool approx = false;
  bool reg_form = true;
  bool count = false;    // xmm2/m128 is a shift count: mostly small
  u8 prefix0 = 0;        // a legacy prefix before `prefix` (66 with F2 for CRC32 r/m16)
  bool lengths = false;  // RAX/RDX are string lengths (PCMPESTRx): mostly small, either sign
};

// Runs the form over its generated cases (register and memory forms,
// misaligned and page-crossing memory); CHECKs that none differs. Returns
// the number of cases compared.
int check(const Spec& s);

// An "xmm1, xmm2/m" form with a 0F-map opcode `op`.
Spec xx(std::string name, u8 prefix, u8 op, Lane lane, unsigned mem = 16);

}  // namespace sse_test
