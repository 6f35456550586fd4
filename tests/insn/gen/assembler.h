// Assembles Intel-syntax lines with GNU as (one process for a whole batch).
#pragma once

#include <string>
#include <vector>

#include "tests/insn/case.h"

namespace insn::gen {

// Encodings of each line (each line one instruction, or several separated by
// ';'). Throws std::runtime_error naming the first line as rejected.
std::vector<std::vector<u8>> assemble(const std::vector<std::string>& lines);

}  // namespace insn::gen
