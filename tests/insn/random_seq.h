// Random differential sequences: straight-line user-level code from the
// integer, SSE, x87 and MMX sets, for comparing the interpreter with the
// real CPU.
#pragma once

#include "tests/insn/case.h"

namespace insn {

// A case of `length` random non-branching instructions (encoded with the
// Zydis encoder) with a random initial state. Memory operands are
// [r15 + disp] with r15 pointing into the data window (r15 and rsp are never
// written, except rsp by PUSH/POP, which stay inside the stack window).
// Flag readers (ADC, CMOVcc, LAHF, ...) are only emitted when no flag they
// read is undefined at that point; c.flags_undef is the set of flags left
// undefined at the end. The x87 starts with every exception masked and a
// random stack; C0, C2, C3 (and C1 after FCOMI) are left out of the
// comparison (c.fsw_undef). c.expected is not filled: run_native gives it.
// Deterministic in `seed`.
Case make_random_sequence(u64 seed, int length);

}  // namespace insn
