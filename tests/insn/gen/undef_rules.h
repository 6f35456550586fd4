// What the Intel SDM leaves undefined for a generated case: a static flag
// list ("af,of") or a rule (@name) that looks at the width and operand values.
#pragma once

#include <string>
#include <vector>

#include "tests/insn/case.h"

namespace insn::gen {

struct UndefResult {
    u64 flags = 0;
    bool dest_undefined = false;  // the first operand's final value is undefined
};

// `count` is the value of the operand of kind "count" (or 1 when the form has
// none, e.g. "shl r, 1"); `source` the last operand's value (for @bsf).
// Throws std::runtime_error on an unknown rule or flag name.
UndefResult undef_for(const std::string& spec, int width, u64 count, u64 source);

}  // namespace insn::gen
