// Runs instruction test cases (tests/insn/case.h) through the interpreter:
// a 64-bit CPL 3 process image with the same fixed code/data/stack windows
// the native runner uses, exceptions intercepted instead of delivered.
#pragma once
#include "tests/insn/case.h"

namespace vtlab::testing {

insn::Outcome run_interp(const insn::Case& c);

}  // namespace vtlab::testing
